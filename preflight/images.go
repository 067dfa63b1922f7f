package preflight

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/arn"
	"github.com/aws/aws-sdk-go-v2/service/ecr"
	ecrtypes "github.com/aws/aws-sdk-go-v2/service/ecr/types"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"

	"github.com/omdeploy/omdeploy/internal/awsx"
	"github.com/omdeploy/omdeploy/internal/event"
	"github.com/omdeploy/omdeploy/internal/imageref"
	"github.com/omdeploy/omdeploy/internal/registry"
	"github.com/omdeploy/omdeploy/internal/result"
	"github.com/omdeploy/omdeploy/internal/runbook"
)

// callTimeout bounds one call of the artifact checks (an ECR or Secrets
// Manager call, one registry HTTP attempt), inside the checklist's budget,
// so one slow registry cannot use up the budget of every other check.
const callTimeout = 15 * time.Second

// ECR's answers the image check tells apart.
const (
	codeRepositoryNotFound = "RepositoryNotFoundException"
	failureImageNotFound   = ecrtypes.ImageFailureCodeImageNotFound
	failureTagNotDigest    = ecrtypes.ImageFailureCodeImageTagDoesNotMatchDigest
)

// RegistryAPI is what the images.exist check asks registries other than
// ECR, and where it reads an ECR image's config blob; *registry.Client in
// a run, a fake or an httptest-backed client in tests.
type RegistryAPI interface {
	Resolve(ctx context.Context, ref imageref.Ref) (registry.Manifest, error)
	Platform(ctx context.Context, ref imageref.Ref, configDigest string) (registry.Platform, error)
	ConfigAt(ctx context.Context, url string) (registry.Platform, error)
}

var (
	_ RegistryAPI = (*registry.Client)(nil)
	_ RegistryAPI = noRegistry{}
)

// noRegistry answers for the registries a run must not ask, with the
// reason, which images.exist reports as a skip (or, for an ECR config
// blob, as a platform not verified).
type noRegistry struct{ why string }

func (n noRegistry) Resolve(context.Context, imageref.Ref) (registry.Manifest, error) {
	return registry.Manifest{}, fmt.Errorf("%w: %s", errNotAsked, n.why)
}

func (n noRegistry) Platform(context.Context, imageref.Ref, string) (registry.Platform, error) {
	return registry.Platform{}, fmt.Errorf("%w: %s", errNotAsked, n.why)
}

func (n noRegistry) ConfigAt(context.Context, string) (registry.Platform, error) {
	return registry.Platform{}, fmt.Errorf("%w: %s", errNotAsked, n.why)
}

// errNotAsked is noRegistry's answer.
var errNotAsked = errors.New("registry not asked")

// imageVerdict is what one image's lookup found.
type imageVerdict struct {
	status    string // event.Status*
	text      string // for the check's message, after "CONTAINER: "
	runbookID string
	vars      map[string]string
	resolved  result.Image
}

// wantPlatform is the platform a task definition runs on, as OCI names it:
// ECS's default, Linux on X86_64, when runtimePlatform is unset.
func wantPlatform(td *ecstypes.TaskDefinition) registry.Platform {
	p := registry.Platform{OS: "linux", Architecture: "amd64"}
	rp := td.RuntimePlatform
	if rp == nil {
		return p
	}
	if rp.CpuArchitecture == ecstypes.CPUArchitectureArm64 {
		p.Architecture = "arm64"
	}
	if f := string(rp.OperatingSystemFamily); f != "" && f != string(ecstypes.OSFamilyLinux) {
		p.OS = "windows"
	}
	return p
}

// runtimeName says the task definition's platform in ECS's words, for
// messages.
func runtimeName(td *ecstypes.TaskDefinition) string {
	arch, family := ecstypes.CPUArchitectureX8664, ecstypes.OSFamilyLinux
	if rp := td.RuntimePlatform; rp != nil {
		if rp.CpuArchitecture != "" {
			arch = rp.CpuArchitecture
		}
		if rp.OperatingSystemFamily != "" {
			family = rp.OperatingSystemFamily
		}
	}
	return fmt.Sprintf("%s/%s", family, arch)
}

// plannedImages lists each container of the revision td (the one the run
// would register) and the image it will run.
func plannedImages(td *ecstypes.TaskDefinition) []plannedImage {
	out := make([]plannedImage, len(td.ContainerDefinitions))
	for i, cd := range td.ContainerDefinitions {
		out[i] = plannedImage{Container: aws.ToString(cd.Name), Image: aws.ToString(cd.Image)}
	}
	return out
}

// plannedImage is one container of the new revision and its image.
type plannedImage struct{ Container, Image string }

func (s *serviceFacts) checkImages(ctx context.Context) Check {
	if why := s.r.awsSkip(ctx); why != "" {
		return skip("%s", why)
	}
	td := s.next.get(ctx)
	if td.taskDef == nil {
		return skip("images of the new revision unknown: %s", td.why)
	}
	planned := plannedImages(td.taskDef)
	want := wantPlatform(td.taskDef)
	var verdicts []imageVerdict
	var images []result.Image
	seen := map[string]imageVerdict{}
	for _, p := range planned {
		v, ok := seen[p.Image]
		if !ok {
			v = s.r.lookupImage(ctx, p.Image, want, td.taskDef)
			seen[p.Image] = v
		}
		v.text = p.Container + ": " + v.text
		v.resolved.Container = p.Container
		verdicts = append(verdicts, v)
		images = append(images, v.resolved)
	}
	c := summarizeImages(verdicts, shortTaskDef(aws.ToString(td.taskDef.TaskDefinitionArn)))
	c.Images = images
	return c
}

// summarizeImages makes one check of the images' verdicts: the first
// failure (else the first warning) lends the check its runbook entry;
// skipped images are named, never passed.
func summarizeImages(vs []imageVerdict, taskDef string) Check {
	if len(vs) == 0 {
		return pass("task definition %s runs no container", taskDef)
	}
	var firstFail, firstWarn *imageVerdict
	var fails, oks, notes []string
	for i, v := range vs {
		switch v.status {
		case event.StatusFail:
			fails = append(fails, v.text)
			if firstFail == nil {
				firstFail = &vs[i]
			}
		case event.StatusWarn:
			notes = append(notes, v.text)
			if firstWarn == nil {
				firstWarn = &vs[i]
			}
		case event.StatusPass:
			oks = append(oks, v.text)
		default:
			notes = append(notes, v.text)
		}
	}
	msg := strings.Join(slices.Concat(fails, oks, notes), "; ")
	switch {
	case firstFail != nil:
		return fail(firstFail.runbookID, firstFail.vars, "%s", msg)
	case firstWarn != nil:
		return warn(firstWarn.runbookID, firstWarn.vars, "%s", msg)
	case len(oks) == 0:
		return skip("%s", msg)
	}
	return pass("%s", msg)
}

// lookupImage proves one image exists and suits the task's platform.
func (r *runner) lookupImage(ctx context.Context, image string, want registry.Platform, td *ecstypes.TaskDefinition) imageVerdict {
	resolved := result.Image{Image: image}
	ref, err := imageref.Parse(image)
	if err != nil {
		return imageVerdict{status: event.StatusFail, text: err.Error(), runbookID: runbook.ImageMissing,
			vars: map[string]string{"image": image, "lookup": "the image reference is not valid; correct it"}, resolved: resolved}
	}
	var v imageVerdict
	var m registry.Manifest
	if loc, ok := imageref.ECROf(ref); ok {
		m, v = r.lookupECR(ctx, ref, loc)
	} else {
		m, v = r.lookupRegistry(ctx, ref)
	}
	v.resolved = resolved
	if v.status != "" {
		return v
	}
	v.resolved.Digest = m.Digest
	// ECR images are named by repository and region, the rest by their
	// full reference, which says the registry.
	ver := ":" + ref.TagOrLatest()
	if ref.Digest != "" {
		ver = "@" + ref.Digest
	}
	what := ref.Registry + "/" + ref.Repository + ver
	if loc, ok := imageref.ECROf(ref); ok {
		what = fmt.Sprintf("ECR %s%s (%s)", ref.Repository, ver, loc.Region)
	}
	platforms, why := r.platforms(ctx, ref, m)
	for _, p := range platforms {
		v.resolved.Platforms = append(v.resolved.Platforms, p.String())
	}
	has := strings.Join(v.resolved.Platforms, ", ")
	switch {
	case why != "":
		v.status, v.text = event.StatusPass, fmt.Sprintf("%s is %s; platform not verified (%s)", what, m.Digest, why)
	case !offers(platforms, want):
		v.status = event.StatusFail
		v.text = fmt.Sprintf("%s (%s) is built for %s only; task definition %s runs on %s (%s)",
			what, m.Digest, has, shortTaskDef(aws.ToString(td.TaskDefinitionArn)), runtimeName(td), want)
		v.runbookID = runbook.ImagePlatformMismatch
		v.vars = map[string]string{"image": image, "want": want.String(), "have": has}
	default:
		v.status, v.text = event.StatusPass, fmt.Sprintf("%s is %s (%s)", what, m.Digest, has)
	}
	return v
}

// offers reports whether an image with platforms runs on want. A variant
// (arm64/v8) does not matter to ECS, which names none.
func offers(platforms []registry.Platform, want registry.Platform) bool {
	for _, p := range platforms {
		if p.OS == want.OS && p.Architecture == want.Architecture {
			return true
		}
	}
	return false
}

// platforms reads what an image runs on: an index lists it; a single
// manifest's config blob says it. why is set when it cannot be read.
func (r *runner) platforms(ctx context.Context, ref imageref.Ref, m registry.Manifest) (ps []registry.Platform, why string) {
	if m.IsIndex() {
		if len(m.Platforms) == 0 {
			return nil, "the index lists no platform"
		}
		return m.Platforms, ""
	}
	if m.Config == "" {
		return nil, "the manifest could not be read"
	}
	cctx, cancel := context.WithTimeout(ctx, callTimeout)
	defer cancel()
	var p registry.Platform
	var err error
	if loc, ok := imageref.ECROf(ref); ok {
		p, err = r.ecrConfig(cctx, ref, loc, m.Config)
	} else {
		p, err = r.reg.Platform(cctx, ref, m.Config)
	}
	if err != nil {
		return nil, shorten(err.Error(), 160)
	}
	return []registry.Platform{p}, ""
}

// ecrConfig reads a single-manifest ECR image's config blob through the
// pre-signed URL GetDownloadUrlForLayer hands out.
func (r *runner) ecrConfig(ctx context.Context, ref imageref.Ref, loc imageref.ECR, digest string) (registry.Platform, error) {
	out, err := r.aws.ECRIn(loc.Region).GetDownloadUrlForLayer(ctx, &ecr.GetDownloadUrlForLayerInput{
		RegistryId: aws.String(loc.Account), RepositoryName: aws.String(ref.Repository), LayerDigest: aws.String(digest),
	})
	if err != nil {
		return registry.Platform{}, fmt.Errorf("ecr:GetDownloadUrlForLayer: %s", errCode(err))
	}
	return r.reg.ConfigAt(ctx, aws.ToString(out.DownloadUrl))
}

// ecrVars fill the ECR fixes.
func ecrVars(ref imageref.Ref, loc imageref.ECR, image string) map[string]string {
	return map[string]string{
		"image": image, "repository": ref.Repository, "account": loc.Account, "region": loc.Region,
		"lookup": fmt.Sprintf("`aws ecr describe-images --registry-id %s --region %s --repository-name %s --query 'sort_by(imageDetails,&imagePushedAt)[-10:].imageTags'`",
			loc.Account, loc.Region, ref.Repository),
	}
}

// lookupECR asks ECR, in the image's own account and region, for the
// manifest the reference names. A verdict with a status ends the lookup.
func (r *runner) lookupECR(ctx context.Context, ref imageref.Ref, loc imageref.ECR) (registry.Manifest, imageVerdict) {
	image := ref.Registry + "/" + ref.Repository
	if r.aws.ECRIn == nil {
		return registry.Manifest{}, imageVerdict{status: event.StatusSkip, text: image + " not checked: no ECR client"}
	}
	id := ecrtypes.ImageIdentifier{ImageTag: aws.String(ref.TagOrLatest())}
	what := fmt.Sprintf("tag %s", ref.TagOrLatest())
	if ref.Digest != "" {
		id = ecrtypes.ImageIdentifier{ImageDigest: aws.String(ref.Digest)}
		what = "digest " + ref.Digest
	}
	cctx, cancel := context.WithTimeout(ctx, callTimeout)
	defer cancel()
	out, err := r.aws.ECRIn(loc.Region).BatchGetImage(cctx, &ecr.BatchGetImageInput{
		RegistryId: aws.String(loc.Account), RepositoryName: aws.String(ref.Repository),
		ImageIds: []ecrtypes.ImageIdentifier{id}, AcceptedMediaTypes: registry.MediaTypes,
	})
	full := ref.String()
	switch {
	case awsx.Code(err) == codeRepositoryNotFound:
		return registry.Manifest{}, imageVerdict{status: event.StatusFail, runbookID: runbook.ImageRepositoryMissing, vars: ecrVars(ref, loc, full),
			text: fmt.Sprintf("ECR repository %s does not exist in account %s (%s)", ref.Repository, loc.Account, loc.Region)}
	case err != nil:
		r.log.Debug("aws call failed", logCall, "ecr:BatchGetImage", logRegion, loc.Region, logRequestID, awsx.RequestID(err), logErr, err)
		id, _ := AWSErrorFix(err, r.profile(), loc.Region)
		return registry.Manifest{}, imageVerdict{status: event.StatusWarn, runbookID: id, vars: map[string]string{"region": loc.Region, "profile": r.profile()},
			text: fmt.Sprintf("could not check %s in ECR repository %s (%s): ecr:BatchGetImage: %s", what, ref.Repository, loc.Region, errCode(err))}
	}
	// One image is asked for, so at most one failure comes back.
	if len(out.Failures) > 0 {
		f := out.Failures[0]
		if f.FailureCode == failureImageNotFound || f.FailureCode == failureTagNotDigest {
			return registry.Manifest{}, imageVerdict{status: event.StatusFail, runbookID: runbook.ImageMissing, vars: ecrVars(ref, loc, full),
				text: fmt.Sprintf("%s not found in ECR repository %s (account %s, %s)", what, ref.Repository, loc.Account, loc.Region)}
		}
		return registry.Manifest{}, imageVerdict{status: event.StatusWarn, runbookID: runbook.AWSAPIError, vars: map[string]string{"region": loc.Region, "profile": r.profile()},
			text: fmt.Sprintf("could not check %s in ECR repository %s (%s): %s %s", what, ref.Repository, loc.Region, f.FailureCode, aws.ToString(f.FailureReason))}
	}
	if len(out.Images) == 0 {
		return registry.Manifest{}, imageVerdict{status: event.StatusFail, runbookID: runbook.ImageMissing, vars: ecrVars(ref, loc, full),
			text: fmt.Sprintf("%s not found in ECR repository %s (account %s, %s)", what, ref.Repository, loc.Account, loc.Region)}
	}
	img := out.Images[0]
	m, err := registry.ParseManifest(aws.ToString(img.ImageManifestMediaType), []byte(aws.ToString(img.ImageManifest)))
	if err != nil {
		// The image exists; only its platform is unknown.
		m = registry.Manifest{}
	}
	m.Digest = ref.Digest
	if img.ImageId != nil && aws.ToString(img.ImageId.ImageDigest) != "" {
		m.Digest = aws.ToString(img.ImageId.ImageDigest)
	}
	return m, imageVerdict{}
}

// lookupRegistry asks a registry other than ECR, anonymously. A registry
// that wants credentials, or cannot be reached, is a skip with the reason:
// omdeploy cannot know, and ECS (with the task's repositoryCredentials) may
// well pull it.
func (r *runner) lookupRegistry(ctx context.Context, ref imageref.Ref) (registry.Manifest, imageVerdict) {
	cctx, cancel := context.WithTimeout(ctx, 2*callTimeout)
	defer cancel()
	m, err := r.reg.Resolve(cctx, ref)
	what := ref.Registry + "/" + ref.Repository + ":" + ref.TagOrLatest()
	if ref.Digest != "" {
		what = ref.Registry + "/" + ref.Repository + "@" + ref.Digest
	}
	switch {
	case errors.Is(err, registry.ErrNotFound):
		return m, imageVerdict{status: event.StatusFail, runbookID: runbook.ImageMissing,
			vars: map[string]string{"image": ref.String(), "lookup": fmt.Sprintf("`docker manifest inspect %s`, or the registry's web page", ref.String())},
			text: fmt.Sprintf("%s not found in %s: %v", what, ref.Registry, err)}
	case errors.Is(err, registry.ErrAuthRequired), errors.Is(err, errNotAsked):
		return m, imageVerdict{status: event.StatusSkip, text: fmt.Sprintf("%s not checked: %v", what, err)}
	case err != nil:
		if ctx.Err() != nil {
			return m, imageVerdict{status: event.StatusSkip, text: what + " not checked: " + ctx.Err().Error()}
		}
		return m, imageVerdict{status: event.StatusSkip, text: fmt.Sprintf("%s not checked: registry %s did not answer (%s)", what, ref.Registry, shorten(err.Error(), 160))}
	}
	return m, imageVerdict{}
}

// ecrPermissions are the ECR calls images.exist makes for the images of
// td (the revision the run would register; nil: unknown), on each image's
// repository, for the IAM simulation.
func ecrPermissions(td *ecstypes.TaskDefinition, partition string) []permission {
	if td == nil {
		return nil
	}
	planned := plannedImages(td)
	var repos []string
	for _, p := range planned {
		ref, err := imageref.Parse(p.Image)
		if err != nil {
			continue
		}
		if loc, ok := imageref.ECROf(ref); ok {
			a := arn.ARN{Partition: partition, Service: "ecr", Region: loc.Region, AccountID: loc.Account, Resource: "repository/" + ref.Repository}.String()
			if !slices.Contains(repos, a) {
				repos = append(repos, a)
			}
		}
	}
	if len(repos) == 0 {
		return nil
	}
	return []permission{{"ecr:BatchGetImage", repos}}
}

// ResolvedImages returns what images.exist resolved for service: each
// container's image with the digest its tag named when checked (Digest ""
// when it could not be resolved). The engine's later pin_digest registers
// imageref.Pin(Image, Digest) for these instead of the tags.
func ResolvedImages(checks []Check, service string) []result.Image {
	for _, c := range checks {
		if c.ID == IDImagesExist && c.Service == service {
			return c.Images
		}
	}
	return nil
}
