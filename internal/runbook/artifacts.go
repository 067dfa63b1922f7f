package runbook

// IDs of failures the images.exist and secrets.exist checks catch: what
// the new revision would pull or read at task start, proven to exist first.
const (
	ImageMissing           = "images.missing"
	ImageRepositoryMissing = "images.repository-missing"
	ImagePlatformMismatch  = "images.platform-mismatch"
	ImageDigestUnresolved  = "images.digest-unresolved"
	ImageDigestMismatch    = "images.digest-mismatch"
	SecretMissing          = "secretsmanager.secret-missing"
	SecretDeleted          = "secretsmanager.secret-deleted"
	SecretVersionMissing   = "secretsmanager.version-missing"
)

var artifactEntries = []Entry{
	{
		ID:        ImageMissing,
		Title:     "An image the new revision runs does not exist",
		Symptom:   "The tag or digest the deploy would run is not in its repository; without the check, tasks fail with CannotPullContainerError and the circuit breaker rolls back.",
		Diagnosis: "The build that should have pushed the tag failed or has not finished, the tag was mistyped, or a lifecycle policy expired it. A digest that is gone was deleted from the repository.",
		Fix:       "See which tags exist: {lookup}. Push {image} first (check the CI job that builds it), or deploy a tag that exists with `--tag`/`--image`.",
	},
	{
		ID:        ImageRepositoryMissing,
		Title:     "The image's ECR repository does not exist",
		Symptom:   "The ECR repository named by an image is not in the account and region of the image's registry.",
		Diagnosis: "A typo in the repository, the wrong account or region in the registry host (ACCOUNT.dkr.ecr.REGION.amazonaws.com), or the repository was never created or was deleted.",
		Fix:       "List the repositories there: `aws ecr describe-repositories --registry-id {account} --region {region} --query 'repositories[].repositoryName'`. Correct the image reference, or create `{repository}` (in your infrastructure code) and push the image.",
	},
	{
		ID:        ImagePlatformMismatch,
		Title:     "The image is built for another platform than the task runs on",
		Symptom:   "The image's manifest lists no variant for the task definition's operating system and CPU architecture; tasks would exit at once with `exec format error`.",
		Diagnosis: "The image was built on (or only for) another architecture, typically arm64 on an Apple-silicon laptop for an X86_64 task, or the task definition's runtimePlatform names the wrong architecture.",
		Fix:       "Build {image} for {want}: `docker buildx build --platform {want} --push ...` (or a multi-platform build with `--platform linux/amd64,linux/arm64`), or set the task definition's runtimePlatform to match the image ({have}).",
	},
	{
		ID:        ImageDigestUnresolved,
		Title:     "Pinning was asked, but an image's digest is not known",
		Symptom:   "With pin_digest (or --pin-digest) omdeploy exits 3 before writing anything: images.exist resolved no digest for an image of the new revision, which the message names.",
		Diagnosis: "The digest comes from preflight's images.exist check, never from a second registry call. The check was skipped for the image: a registry other than ECR that does not answer anonymously (it wants credentials), a registry that did not answer, or an endpoint override that keeps omdeploy from asking registries outside it.",
		Fix:       "Pass the digest yourself, which pins without asking the registry: `--image NAME=REPO:TAG@sha256:...` (`docker buildx imagetools inspect REPO:TAG` prints it), or drop pinning for this deploy (remove `--pin-digest`, or set `pin_digest: false` on the service).",
	},
	{
		ID:        ImageDigestMismatch,
		Title:     "The running tasks run another digest than preflight resolved",
		Symptom:   "After the rollout, a container's running digest (DescribeTasks containers[].imageDigest) differs from the digest images.exist resolved for its tag: the deploy warns and names both.",
		Diagnosis: "The revision names a mutable tag and the tag was pushed again between preflight and the tasks' pull, so the tasks run content nobody checked; a later task of the same revision may pull yet another one.",
		Fix:       "Deploy immutable references: set `pin_digest: true` in the config (or pass `--pin-digest`) so the revision registers repo:tag@sha256:..., or tag each build uniquely (the commit SHA) and turn on tag immutability: `aws ecr put-image-tag-mutability --repository-name REPO --image-tag-mutability IMMUTABLE`.",
	},
	{
		ID:        SecretMissing,
		Title:     "A Secrets Manager secret the task reads does not exist",
		Symptom:   "A container's secrets[].valueFrom names a Secrets Manager secret that DescribeSecret does not find in its region; tasks would fail to start with ResourceInitializationError.",
		Diagnosis: "The secret lives in another region or account than the ARN says, its name or random suffix is mistyped, or it was deleted.",
		Fix:       "Look for it: `aws secretsmanager list-secrets --region {region} --filters Key=name,Values={name}`. Correct the ARN in the task definition, or create the secret in {region}.",
	},
	{
		ID:        SecretDeleted,
		Title:     "A Secrets Manager secret is scheduled for deletion",
		Symptom:   "A secret the task reads has a deletion date: until it is restored, reading it fails, and after the date it is gone.",
		Diagnosis: "Someone deleted the secret (with a recovery window) while a service still reads it.",
		Fix:       "Restore it if the service still needs it: `aws secretsmanager restore-secret --region {region} --secret-id {secret}`. Otherwise remove it from the task definition's secrets.",
	},
	{
		ID:        SecretVersionMissing,
		Title:     "The secret has no such version stage or version id",
		Symptom:   "A valueFrom names a version stage or version id (…:json-key:version-stage:version-id) the secret does not have.",
		Diagnosis: "The stage was moved or removed by a rotation (AWSPENDING, a custom stage), or the version id is from another secret or was deprecated.",
		Fix:       "List the versions and their stages: `aws secretsmanager list-secret-version-ids --region {region} --secret-id {secret}`. It asked for {version}: point the valueFrom at a stage or id the list shows, or drop both to read AWSCURRENT.",
	},
}
