package motoenv

import "testing"

// TestCheckLoopback guards the promise that nothing here reaches a real
// account: only 127.0.0.1 and localhost pass.
func TestCheckLoopback(t *testing.T) {
	for ep, ok := range map[string]bool{
		"http://127.0.0.1:5000":               true,
		"http://localhost:5000":               true,
		"https://ecs.us-east-1.amazonaws.com": false,
		"http://10.0.0.1:5000":                false,
		"::not a url":                         false,
	} {
		if err := CheckLoopback(ep); (err == nil) != ok {
			t.Errorf("CheckLoopback(%q) = %v, want ok=%v", ep, err, ok)
		}
	}
}
