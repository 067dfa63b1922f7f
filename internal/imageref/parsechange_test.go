package imageref

import (
	"reflect"
	"testing"
)

func TestParseChange(t *testing.T) {
	tests := []struct {
		name         string
		images, tags []string
		want         Change
		wantErr      bool
	}{
		{name: "none"},
		{name: "bare image", images: []string{"repo/app:v2"}, want: Change{Image: "repo/app:v2"}},
		{name: "bare tag", tags: []string{"v2"}, want: Change{Tag: "v2"}},
		{name: "named images", images: []string{"app=repo/app:v2", "worker=host:5000/w:v2"},
			want: Change{Images: map[string]string{"app": "repo/app:v2", "worker": "host:5000/w:v2"}}},
		{name: "bare and named", images: []string{"repo/app:v2"}, tags: []string{"worker=v2"},
			want: Change{Image: "repo/app:v2", Tags: map[string]string{"worker": "v2"}}},
		{name: "two bare images", images: []string{"a:1", "b:2"}, wantErr: true},
		{name: "a container twice", images: []string{"app=a:1", "app=a:2"}, wantErr: true},
		{name: "image and tag for one container", images: []string{"app=a:1"}, tags: []string{"app=v2"}, wantErr: true},
		{name: "empty name", tags: []string{"=v2"}, wantErr: true},
		{name: "empty value", tags: []string{"app="}, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseChange(tt.images, tt.tags)
			if (err != nil) != tt.wantErr || (!tt.wantErr && !reflect.DeepEqual(got, tt.want)) {
				t.Fatalf("ParseChange = %+v, %v; want %+v, error %v", got, err, tt.want, tt.wantErr)
			}
		})
	}
}

// FuzzParseChange: ParseChange never panics, and what it accepts names
// each container once.
func FuzzParseChange(f *testing.F) {
	f.Add("app=repo/app:v2", "worker=v2")
	f.Add("repo/app:v2", "")
	f.Add("=", "a=")
	f.Fuzz(func(t *testing.T, image, tag string) {
		c, err := ParseChange([]string{image}, []string{tag})
		if err != nil {
			return
		}
		for n := range c.Tags {
			if _, ok := c.Images[n]; ok {
				t.Fatalf("container %q has an image and a tag", n)
			}
		}
		if len(c.Names()) != len(c.Images)+len(c.Tags) {
			t.Fatalf("Names %v for %+v", c.Names(), c)
		}
	})
}
