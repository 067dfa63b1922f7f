package preflight

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"

	"github.com/omdeploy/omdeploy/internal/event"
	"github.com/omdeploy/omdeploy/internal/imageref"
	"github.com/omdeploy/omdeploy/internal/registry"
	"github.com/omdeploy/omdeploy/internal/result"
	"github.com/omdeploy/omdeploy/internal/runbook"
)

func setImage(w *world, container int, image string) {
	w.taskDef.ContainerDefinitions[container].Image = aws.String(image)
}

func TestImagesExist(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name        string
		breakIt     func(*world)
		change      imageref.Change
		wantStatus  string
		wantRunbook string
		wantInMsg   []string
		wantECR     []string // BatchGetImage calls: "region registryId repo id"
	}{
		{
			name: "current images exist, digests and platforms reported", breakIt: func(*world) {},
			wantStatus: event.StatusPass,
			wantInMsg: []string{"app: ECR tech/app:v1 (us-east-1) is " + digestOf(1) + " (linux/amd64, linux/arm64)",
				"envoy: docker.io/envoyproxy/envoy:v1.30 is " + digestOf(30)},
			wantECR: []string{"us-east-1 123456789012 tech/app v1"},
		},
		{
			name: "the run's tag is what is checked", breakIt: func(*world) {}, change: imageref.Change{Tag: "v2"},
			wantStatus: event.StatusPass, wantInMsg: []string{"tech/app:v2 (us-east-1) is " + digestOf(2)},
			wantECR: []string{"us-east-1 123456789012 tech/app v2"},
		},
		{
			name: "a tag never pushed fails naming repository, tag and region", breakIt: func(*world) {}, change: imageref.Change{Tag: "v9"},
			wantStatus: event.StatusFail, wantRunbook: runbook.ImageMissing,
			wantInMsg: []string{"app: tag v9 not found in ECR repository tech/app (account 123456789012, us-east-1)"},
		},
		{
			name: "--image in another account and region is asked there", breakIt: func(*world) {},
			change:     imageref.Change{Image: "999999999999.dkr.ecr.eu-west-1.amazonaws.com/shared/app:v1"},
			wantStatus: event.StatusFail, wantRunbook: runbook.ImageRepositoryMissing,
			wantInMsg: []string{"ECR repository shared/app does not exist in account 999999999999 (eu-west-1)"},
			wantECR:   []string{"eu-west-1 999999999999 shared/app v1"},
		},
		{
			name: "by digest", breakIt: func(w *world) { setImage(w, 0, testECR+"/tech/app@"+digestOf(2)) },
			wantStatus: event.StatusPass, wantInMsg: []string{"tech/app@" + digestOf(2)},
			wantECR: []string{"us-east-1 123456789012 tech/app " + digestOf(2)},
		},
		{
			name: "an image without a tag is latest", breakIt: func(w *world) { setImage(w, 0, testECR+"/tech/app") },
			wantStatus: event.StatusFail, wantRunbook: runbook.ImageMissing, wantInMsg: []string{"tag latest not found"},
		},
		{
			name: "arm64-only image for an X86_64 task fails naming both",
			breakIt: func(w *world) {
				w.art.ecr["123456789012/us-east-1/tech/app"]["v3"] = indexOf(digestOf(3), "linux/arm64")
			},
			change:     imageref.Change{Tag: "v3"},
			wantStatus: event.StatusFail, wantRunbook: runbook.ImagePlatformMismatch,
			wantInMsg: []string{"is built for linux/arm64 only", "runs on LINUX/X86_64 (linux/amd64)"},
		},
		{
			name: "ARM64 task definition takes the arm64 variant",
			breakIt: func(w *world) {
				w.art.ecr["123456789012/us-east-1/tech/app"]["v3"] = indexOf(digestOf(3), "linux/arm64")
				w.taskDef.RuntimePlatform = &ecstypes.RuntimePlatform{CpuArchitecture: ecstypes.CPUArchitectureArm64}
			},
			change: imageref.Change{Tag: "v3"}, wantStatus: event.StatusPass, wantInMsg: []string{"(linux/arm64)"},
		},
		{
			name: "single manifest: platform from the config blob",
			breakIt: func(w *world) {
				w.art.ecr["123456789012/us-east-1/tech/app"]["v4"] = singleOf(digestOf(4), registry.Platform{OS: "linux", Architecture: "arm64"})
			},
			change:     imageref.Change{Tag: "v4"},
			wantStatus: event.StatusFail, wantRunbook: runbook.ImagePlatformMismatch, wantInMsg: []string{"built for linux/arm64 only"},
		},
		{
			name: "single manifest whose config cannot be read: exists, platform not verified",
			breakIt: func(w *world) {
				w.art.ecr["123456789012/us-east-1/tech/app"]["v4"] = singleOf(digestOf(4), registry.Platform{OS: "linux", Architecture: "arm64"})
				w.art.layerErr = apiErr("AccessDeniedException")
			},
			change:     imageref.Change{Tag: "v4"},
			wantStatus: event.StatusPass, wantInMsg: []string{"is " + digestOf(4) + "; platform not verified (ecr:GetDownloadUrlForLayer: AccessDeniedException)"},
		},
		{
			name: "a registry that wants credentials is not checked, not passed",
			breakIt: func(w *world) {
				w.art.regErr["docker.io/envoyproxy/envoy:v1.30"] = fmt.Errorf("manifest v1.30: %w (Basic)", registry.ErrAuthRequired)
			},
			wantStatus: event.StatusPass,
			wantInMsg:  []string{"app: ECR tech/app:v1", "envoy: docker.io/envoyproxy/envoy:v1.30 not checked: manifest v1.30: the registry asks for credentials"},
		},
		{
			name: "only unverifiable images: skip",
			breakIt: func(w *world) {
				w.taskDef.ContainerDefinitions = w.taskDef.ContainerDefinitions[1:]
				w.art.regErr["docker.io/envoyproxy/envoy:v1.30"] = fmt.Errorf("%w (Basic)", registry.ErrAuthRequired)
			},
			wantStatus: event.StatusSkip, wantInMsg: []string{"not checked"},
		},
		{
			name:       "a tag missing from another registry fails",
			breakIt:    func(w *world) { setImage(w, 1, "ghcr.io/org/envoy:v9") },
			wantStatus: event.StatusFail, wantRunbook: runbook.ImageMissing,
			wantInMsg: []string{"envoy: ghcr.io/org/envoy:v9 not found in ghcr.io", "MANIFEST_UNKNOWN"},
		},
		{
			name: "a failure outranks an earlier warning",
			breakIt: func(w *world) {
				w.art.ecrErr = apiErr("AccessDeniedException")
				setImage(w, 1, "ghcr.io/org/envoy:v9")
			},
			wantStatus: event.StatusFail, wantRunbook: runbook.ImageMissing,
			wantInMsg: []string{"envoy: ghcr.io/org/envoy:v9 not found", "app: could not check tag v1"},
		},
		{
			name:       "BatchGetImage denied cannot tell: warn",
			breakIt:    func(w *world) { w.art.ecrErr = apiErr("AccessDeniedException") },
			wantStatus: event.StatusWarn, wantRunbook: runbook.AWSAccessDenied,
			wantInMsg: []string{"could not check tag v1 in ECR repository tech/app (us-east-1): ecr:BatchGetImage: AccessDeniedException"},
		},
		{
			name:       "a tag with several containers and none configured is a config failure",
			breakIt:    func(*world) {},
			change:     imageref.Change{Tag: "v2"},
			wantStatus: event.StatusSkip, wantInMsg: []string{"images of the new revision unknown", "has 2 containers (app, envoy)"},
		},
		{
			name:       "an invalid reference fails",
			breakIt:    func(w *world) { setImage(w, 1, "Envoy:latest") },
			wantStatus: event.StatusFail, wantRunbook: runbook.ImageMissing, wantInMsg: []string{"envoy: image \"Envoy:latest\""},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			w := ecrWorld()
			tt.breakIt(w)
			container := "app"
			if strings.Contains(tt.name, "none configured") {
				container = ""
			}
			checks, _ := runWorld(t, w, func(o *Options) { o.Change = tt.change; o.Config.Services[0].Container = container })
			c := find(t, checks, IDImagesExist, testService)
			expect(t, c, tt.wantStatus, tt.wantRunbook, tt.wantInMsg...)
			if tt.wantECR != nil {
				if got, _ := w.art.calls(); !slices.Equal(got, tt.wantECR) {
					t.Errorf("BatchGetImage calls = %q, want %q", got, tt.wantECR)
				}
			}
		})
	}
}

func TestImagesMissingFixNamesTheLookup(t *testing.T) {
	t.Parallel()
	w := ecrWorld()
	checks, _ := runWorld(t, w, func(o *Options) { o.Change = imageref.Change{Tag: "v9"}; o.Config.Services[0].Container = "app" })
	c := find(t, checks, IDImagesExist, testService)
	for _, s := range []string{"aws ecr describe-images --registry-id 123456789012 --region us-east-1 --repository-name tech/app", "Push " + testECR + "/tech/app:v9"} {
		if !strings.Contains(c.Fix, s) {
			t.Errorf("fix %q lacks %q", c.Fix, s)
		}
	}
}

// The check records each container's resolved digest, for pin_digest.
func TestImagesRecordResolvedDigests(t *testing.T) {
	t.Parallel()
	w := ecrWorld()
	checks, err := runWorld(t, w, func(o *Options) { o.Change = imageref.Change{Tag: "v2"}; o.Config.Services[0].Container = "app" })
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	want := []result.Image{
		{Container: "app", Image: testECR + "/tech/app:v2", Digest: digestOf(2), Platforms: []string{"linux/amd64"}},
		{Container: "envoy", Image: testSidecar, Digest: digestOf(30), Platforms: []string{"linux/amd64", "linux/arm64"}},
	}
	got := ResolvedImages(checks, testService)
	if len(got) != len(want) {
		t.Fatalf("ResolvedImages = %+v, want %+v", got, want)
	}
	for i := range want {
		if got[i].Container != want[i].Container || got[i].Image != want[i].Image || got[i].Digest != want[i].Digest || !slices.Equal(got[i].Platforms, want[i].Platforms) {
			t.Errorf("ResolvedImages[%d] = %+v, want %+v", i, got[i], want[i])
		}
	}
	if pinned := imageref.Pin(got[0].Image, got[0].Digest); pinned != testECR+"/tech/app:v2@"+digestOf(2) {
		t.Errorf("pinned = %q", pinned)
	}
}

// An image shared by two containers is looked up once.
func TestImagesLookedUpOnce(t *testing.T) {
	t.Parallel()
	w := ecrWorld()
	setImage(w, 1, testAppImage)
	checks, _ := runWorld(t, w, nil)
	expect(t, find(t, checks, IDImagesExist, testService), event.StatusPass, "", "app: ECR tech/app:v1", "envoy: ECR tech/app:v1")
	if got, _ := w.art.calls(); len(got) != 1 {
		t.Fatalf("BatchGetImage calls = %q, want one", got)
	}
}

func TestImagesAndSecretsPermissionsSimulated(t *testing.T) {
	t.Parallel()
	w := ecrWorld()
	setSecrets(w, "/tech/db-url", testSecret+":password::")
	w.denied["ecr:BatchGetImage arn:aws:ecr:us-east-1:123456789012:repository/tech/app"] = true
	checks, _ := runWorld(t, w, func(o *Options) { o.Change = imageref.Change{Tag: "v2"}; o.Config.Services[0].Container = "app" })
	c := find(t, checks, IDIAMPermissions, testService)
	expect(t, c, event.StatusFail, runbook.IAMPermissionDenied, "ecr:BatchGetImage on arn:aws:ecr:us-east-1:123456789012:repository/tech/app")
	var sawSecret bool
	w.mu.Lock()
	defer w.mu.Unlock()
	for _, in := range w.simInputs {
		if slices.Contains(in.ActionNames, "secretsmanager:DescribeSecret") {
			sawSecret = slices.Contains(in.ResourceArns, testSecret)
		}
		if slices.Contains(in.ActionNames, "secretsmanager:GetSecretValue") {
			t.Errorf("simulated GetSecretValue, which preflight never calls: %v", in.ActionNames)
		}
	}
	if !sawSecret {
		t.Errorf("secretsmanager:DescribeSecret not simulated on %s", testSecret)
	}
}

func TestWantPlatform(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		rp   *ecstypes.RuntimePlatform
		want string
	}{
		{name: "unset is linux/amd64", want: "linux/amd64"},
		{name: "ARM64", rp: &ecstypes.RuntimePlatform{CpuArchitecture: ecstypes.CPUArchitectureArm64}, want: "linux/arm64"},
		{name: "X86_64 LINUX", rp: &ecstypes.RuntimePlatform{CpuArchitecture: ecstypes.CPUArchitectureX8664, OperatingSystemFamily: ecstypes.OSFamilyLinux}, want: "linux/amd64"},
		{name: "Windows", rp: &ecstypes.RuntimePlatform{OperatingSystemFamily: ecstypes.OSFamilyWindowsServer2022Core}, want: "windows/amd64"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := wantPlatform(&ecstypes.TaskDefinition{RuntimePlatform: tt.rp}).String(); got != tt.want {
				t.Fatalf("wantPlatform = %s, want %s", got, tt.want)
			}
		})
	}
}
