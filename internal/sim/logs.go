package sim

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	logstypes "github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs/types"
)

// GetLogEvents reads a stream: from the head, or the last Limit events
// when StartFromHead is false; with NextToken, on from the
// NextForwardToken of an earlier answer, which comes back unchanged at the
// end of the stream, as CloudWatch's does. Lines whose time has not come
// (a running task's) are not there yet. One page.
func (s *Sim) GetLogEvents(ctx context.Context, in *cloudwatchlogs.GetLogEventsInput, _ ...func(*cloudwatchlogs.Options)) (*cloudwatchlogs.GetLogEventsOutput, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.call(ctx, "GetLogEvents"); err != nil {
		return nil, err
	}
	streams := s.logGroups[aws.ToString(in.LogGroupName)]
	if streams == nil {
		return nil, apiError("ResourceNotFoundException", "The specified log group does not exist.")
	}
	lines, ok := streams[aws.ToString(in.LogStreamName)]
	if !ok {
		return nil, apiError("ResourceNotFoundException", "The specified log stream does not exist.")
	}
	now := s.clk.Now()
	visible := 0
	for visible < len(lines) && !lines[visible].from.After(now) {
		visible++
	}
	lines = lines[:visible]
	limit := int(aws.ToInt32(in.Limit))
	if limit <= 0 || limit > 10000 {
		limit = 10000
	}
	from := 0
	if tok, ok := strings.CutPrefix(aws.ToString(in.NextToken), "f/"); ok {
		n, err := strconv.Atoi(tok)
		if err != nil || n < 0 || n > len(lines) {
			return nil, apiError("InvalidParameterException", "The specified nextToken is invalid.")
		}
		from = n
	}
	end := len(lines)
	if aws.ToBool(in.StartFromHead) || in.NextToken != nil {
		end = min(from+limit, len(lines))
		lines = lines[from:end]
	} else {
		lines = lines[max(0, len(lines)-limit):]
	}
	out := &cloudwatchlogs.GetLogEventsOutput{NextForwardToken: aws.String(fmt.Sprintf("f/%d", end))}
	for _, l := range lines {
		out.Events = append(out.Events, logstypes.OutputLogEvent{Message: aws.String(l.msg), Timestamp: aws.Int64(l.at.UnixMilli())})
	}
	return out, nil
}

// DescribeLogGroups lists the log groups whose names start with the prefix.
func (s *Sim) DescribeLogGroups(ctx context.Context, in *cloudwatchlogs.DescribeLogGroupsInput, _ ...func(*cloudwatchlogs.Options)) (*cloudwatchlogs.DescribeLogGroupsOutput, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.call(ctx, "DescribeLogGroups"); err != nil {
		return nil, err
	}
	var names []string
	for name := range s.logGroups {
		if strings.HasPrefix(name, aws.ToString(in.LogGroupNamePrefix)) {
			names = append(names, name)
		}
	}
	slices.Sort(names)
	out := &cloudwatchlogs.DescribeLogGroupsOutput{}
	for _, n := range names {
		out.LogGroups = append(out.LogGroups, logstypes.LogGroup{LogGroupName: aws.String(n), Arn: aws.String("arn:aws:logs:" + Region + ":" + Account + ":log-group:" + n + ":*")})
	}
	return out, nil
}
