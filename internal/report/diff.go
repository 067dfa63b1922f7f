package report

import (
	"fmt"
	"strings"

	"github.com/omdeploy/omdeploy/internal/result"
)

// diffText writes a plan's changes as -/+ lines under the plan's line, one
// pair per field: the old value in red, the new in green. A field that only
// one side has gets only its line.
func (v textView) diffText(changes []result.Change) string {
	var b strings.Builder
	for _, c := range changes {
		if c.Old != "" || c.New == "" {
			fmt.Fprintf(&b, "\n    %s", v.pal.red("- "+c.Path+": "+c.Old))
		}
		if c.New != "" {
			fmt.Fprintf(&b, "\n    %s", v.pal.green("+ "+c.Path+": "+c.New))
		}
	}
	return b.String()
}

// summaryDiff writes each service's changes as a collapsible diff block:
// GitHub colours the lines of a "diff" fence by their first character.
func summaryDiff(b *strings.Builder, doc result.Document) {
	for _, s := range doc.Services {
		if s.Plan == nil || len(s.Plan.Changes) == 0 {
			continue
		}
		fmt.Fprintf(b, "<details><summary>%s: %d task definition %s</summary>\n\n", cell(s.Name), len(s.Plan.Changes), pluralWord(len(s.Plan.Changes), "change"))
		var d strings.Builder
		for _, c := range s.Plan.Changes {
			if c.Old != "" || c.New == "" {
				fmt.Fprintf(&d, "- %s: %s\n", c.Path, c.Old)
			}
			if c.New != "" {
				fmt.Fprintf(&d, "+ %s: %s\n", c.Path, c.New)
			}
		}
		b.WriteString(fencedLang("diff", d.String()))
		b.WriteString("\n</details>\n\n")
	}
}

func pluralWord(n int, word string) string {
	if n == 1 {
		return word
	}
	return word + "s"
}

// fencedLang is a code fence of lang around text, longer than any run of
// backticks inside it.
func fencedLang(lang, text string) string {
	fence := "```"
	for strings.Contains(text, fence) {
		fence += "`"
	}
	return fence + lang + "\n" + strings.TrimSuffix(text, "\n") + "\n" + fence + "\n"
}
