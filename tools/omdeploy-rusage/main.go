// Command omdeploy-rusage runs a command and writes its wall time, peak
// resident set size and exit code as one JSON object to the file -o names.
// omdeploy-bench starts the measured binary through it because on Linux a
// child's ru_maxrss includes the pages of the process that forked it
// (until exec, the child shares its parent's memory): started by the
// benchmark driver, the binary would seem as large as the driver. This
// process stays a few megabytes, below anything it measures.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"syscall"
	"time"
)

// Result is what the -o file holds.
type Result struct {
	WallNS      int64 `json:"wall_ns"`
	CPUNS       int64 `json:"cpu_ns"` // user and system time: what the run cost, however loaded the machine
	MaxRSSBytes int64 `json:"max_rss_bytes"`
	Exit        int   `json:"exit"`
}

func main() {
	out := flag.String("o", "", "write the result to `FILE`")
	flag.Parse()
	if *out == "" || flag.NArg() == 0 {
		fmt.Fprintln(os.Stderr, "usage: omdeploy-rusage -o FILE COMMAND [ARG...]")
		os.Exit(2)
	}
	cmd := exec.Command(flag.Arg(0), flag.Args()[1:]...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	start := time.Now()
	err := cmd.Run()
	res := Result{WallNS: int64(time.Since(start)), Exit: -1}
	if cmd.ProcessState == nil {
		fmt.Fprintln(os.Stderr, "omdeploy-rusage:", err)
		os.Exit(1)
	}
	res.Exit = cmd.ProcessState.ExitCode()
	res.CPUNS = int64(cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime())
	if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
		res.MaxRSSBytes = int64(ru.Maxrss) * 1024 // kilobytes on Linux
		if runtime.GOOS == "darwin" {             // bytes there
			res.MaxRSSBytes = int64(ru.Maxrss)
		}
	}
	b, _ := json.Marshal(res)
	if err := os.WriteFile(*out, b, 0o600); err != nil {
		fmt.Fprintln(os.Stderr, "omdeploy-rusage:", err)
		os.Exit(1)
	}
}
