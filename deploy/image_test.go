package deploy

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
			got, err := withTag(tt.image, tt.tag)
			if (err != nil) != tt.wantErr {
				t.Fatalf("withTag(%q, %q) error = %v, wantErr %v", tt.image, tt.tag, err, tt.wantErr)
			}
			if got != tt.want {
				t.Fatalf("withTag(%q, %q) = %q, want %q", tt.image, tt.tag, got, tt.want)
			}
		})
	}
}
