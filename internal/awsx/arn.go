package awsx

import "strings"

// TargetGroupName is the name in an ELBv2 target group ARN
// ("arn:aws:elasticloadbalancing:REGION:ACCOUNT:targetgroup/NAME/ID"),
// for messages; another string is returned as it is.
func TargetGroupName(arn string) string {
	if _, after, ok := strings.Cut(arn, ":targetgroup/"); ok {
		name, _, _ := strings.Cut(after, "/")
		return name
	}
	return arn
}
