package imageref

import "testing"

func TestWithTag(t *testing.T) {
	tests := []struct {
		name, image, tag, want string
		wantErr                bool
	}{
		{name: "plain", image: "repo/app:v1", tag: "v2", want: "repo/app:v2"},
		{name: "no tag", image: "repo/app", tag: "v2", want: "repo/app:v2"},
		{name: "registry with port", image: "host:5000/repo/app:v1", tag: "v2", want: "host:5000/repo/app:v2"},
		{name: "registry with port, no tag", image: "host:5000/repo/app", tag: "v2", want: "host:5000/repo/app:v2"},
		{name: "digest dropped", image: "repo/app@sha256:abcd", tag: "v2", want: "repo/app:v2"},
		{name: "tag and digest", image: "host:5000/app:v1@sha256:abcd", tag: "v2", want: "host:5000/app:v2"},
		{name: "ecr", image: "123456789012.dkr.ecr.eu-west-1.amazonaws.com/app:2024-01", tag: "2024-02", want: "123456789012.dkr.ecr.eu-west-1.amazonaws.com/app:2024-02"},
		{name: "bad tag", image: "repo/app:v1", tag: "a:b", wantErr: true},
		{name: "empty tag", image: "repo/app:v1", tag: "", wantErr: true},
		{name: "empty image", image: "", tag: "v2", wantErr: true},
		{name: "no repository", image: ":v1@sha256:abcd", tag: "v2", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := WithTag(tt.image, tt.tag)
			if (err != nil) != tt.wantErr {
				t.Fatalf("WithTag(%q, %q) error = %v, wantErr %v", tt.image, tt.tag, err, tt.wantErr)
			}
			if got != tt.want {
				t.Fatalf("WithTag(%q, %q) = %q, want %q", tt.image, tt.tag, got, tt.want)
			}
		})
	}
}

func TestParse(t *testing.T) {
	const ecr = "123456789012.dkr.ecr.eu-west-1.amazonaws.com"
	const digest = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
	tests := []struct {
		name, image string
		want        Ref
		wantErr     bool
	}{
		{name: "docker hub official", image: "nginx", want: Ref{Registry: DockerHub, Repository: "library/nginx"}},
		{name: "docker hub user", image: "envoyproxy/envoy:v1.30", want: Ref{Registry: DockerHub, Repository: "envoyproxy/envoy", Tag: "v1.30"}},
		{name: "ghcr", image: "ghcr.io/org/app:1.2", want: Ref{Registry: "ghcr.io", Repository: "org/app", Tag: "1.2"}},
		{name: "registry with port", image: "host:5000/repo/app", want: Ref{Registry: "host:5000", Repository: "repo/app"}},
		{name: "localhost", image: "localhost/app:v1", want: Ref{Registry: "localhost", Repository: "app", Tag: "v1"}},
		{name: "ecr tag", image: ecr + "/team/app:v2", want: Ref{Registry: ecr, Repository: "team/app", Tag: "v2"}},
		{name: "ecr digest", image: ecr + "/app@" + digest, want: Ref{Registry: ecr, Repository: "app", Digest: digest}},
		{name: "tag and digest", image: "quay.io/a/b:v1@" + digest, want: Ref{Registry: "quay.io", Repository: "a/b", Tag: "v1", Digest: digest}},
		{name: "uppercase repository", image: "Repo/App", wantErr: true},
		{name: "empty tag", image: "repo:", wantErr: true},
		{name: "empty digest", image: "repo@", wantErr: true},
		{name: "short digest", image: "repo@sha256:abcd", wantErr: true},
		{name: "no repository", image: ":v1", wantErr: true},
		{name: "empty", image: "", wantErr: true},
		{name: "double slash", image: "ghcr.io//app", wantErr: true},
		{name: "bad tag", image: "repo:-v1", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Parse(tt.image)
			if (err != nil) != tt.wantErr {
				t.Fatalf("Parse(%q) = %+v, %v; wantErr %v", tt.image, got, err, tt.wantErr)
			}
			if got != tt.want {
				t.Fatalf("Parse(%q) = %+v, want %+v", tt.image, got, tt.want)
			}
		})
	}
}

func TestECROf(t *testing.T) {
	tests := []struct {
		name, registry string
		want           ECR
		ok             bool
	}{
		{name: "private", registry: "123456789012.dkr.ecr.us-east-1.amazonaws.com", want: ECR{"123456789012", "us-east-1"}, ok: true},
		{name: "fips", registry: "123456789012.dkr.ecr-fips.us-gov-west-1.amazonaws.com", want: ECR{"123456789012", "us-gov-west-1"}, ok: true},
		{name: "china", registry: "123456789012.dkr.ecr.cn-north-1.amazonaws.com.cn", want: ECR{"123456789012", "cn-north-1"}, ok: true},
		{name: "public ecr is a plain registry", registry: "public.ecr.aws"},
		{name: "short account", registry: "12345.dkr.ecr.us-east-1.amazonaws.com"},
		{name: "look-alike host", registry: "123456789012.dkr.ecr.us-east-1.amazonaws.com.evil.example"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := ECROf(Ref{Registry: tt.registry, Repository: "app"})
			if ok != tt.ok || got != tt.want {
				t.Fatalf("ECROf(%q) = %+v, %v; want %+v, %v", tt.registry, got, ok, tt.want, tt.ok)
			}
		})
	}
}

func TestPin(t *testing.T) {
	const d = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
	for _, tt := range []struct{ name, image, want string }{
		{name: "tag kept", image: "repo/app:v2", want: "repo/app:v2@" + d},
		{name: "no tag", image: "host:5000/app", want: "host:5000/app@" + d},
		{name: "old digest replaced", image: "repo/app:v2@sha256:00", want: "repo/app:v2@" + d},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if got := Pin(tt.image, d); got != tt.want {
				t.Fatalf("Pin(%q) = %q, want %q", tt.image, got, tt.want)
			}
		})
	}
}
