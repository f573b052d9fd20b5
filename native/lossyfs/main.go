// lossyfs: a FUSE pass-through file system that forgets, on command, every write that was never
// fsynced - a power failure for whatever runs on it. See docs/lossyfs.md.
//
//	lossyfs mount  --backing DIR --mount DIR --control SOCKET [--metadata journal|strict] [--debug]
//	lossyfs drop   --control SOCKET   # power loss: prints a JSON summary of what was dropped
//	lossyfs sync   --control SOCKET   # make everything durable (a clean shutdown)
//	lossyfs status --control SOCKET   # what a drop would lose now
//
// Exit codes: 0 ok, 1 error, 2 usage, 3 FUSE unavailable (no /dev/fuse, not root, mount refused),
// 4 control socket unreachable.
package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"os/signal"
	"sync"
	"syscall"
	"time"
)

const (
	exitOK        = 0
	exitError     = 1
	exitUsage     = 2
	exitNoFuse    = 3
	exitNoControl = 4
)

const usage = `usage:
  lossyfs mount  --backing DIR --mount DIR --control SOCKET [--metadata journal|strict] [--debug]
  lossyfs drop   --control SOCKET
  lossyfs sync   --control SOCKET
  lossyfs status --control SOCKET
exit codes: 0 ok, 1 error, 2 usage, 3 FUSE unavailable, 4 control socket unreachable
`

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return exitUsage
	}
	switch args[0] {
	case "mount":
		return cmdMount(args[1:], stdout, stderr)
	case "drop", "sync", "status", "ping":
		return cmdClient(args[0], args[1:], stdout, stderr)
	case "-h", "--help", "help":
		fmt.Fprint(stdout, usage)
		return exitOK
	}
	fmt.Fprintf(stderr, "lossyfs: unknown command %q\n%s", args[0], usage)
	return exitUsage
}

func cmdMount(args []string, stdout, stderr io.Writer) int {
	flags := flag.NewFlagSet("mount", flag.ContinueOnError)
	flags.SetOutput(stderr)
	backing := flags.String("backing", "", "backing directory (the durable state lives here)")
	mount := flags.String("mount", "", "mount point")
	control := flags.String("control", "", "control socket path")
	metadata := flags.String("metadata", "journal", "what makes name changes durable: journal (any fsync, as ext4 does; the default) or strict (only the directory's fsync)")
	debug := flags.Bool("debug", false, "log every FUSE request")
	if err := flags.Parse(args); err != nil {
		return exitUsage
	}
	if *backing == "" || *mount == "" || *control == "" {
		fmt.Fprintf(stderr, "lossyfs mount: --backing, --mount and --control are required\n%s", usage)
		return exitUsage
	}
	meta, err := ParseMetadataMode(*metadata)
	if err != nil {
		fmt.Fprintf(stderr, "lossyfs mount: %v\n", err)
		return exitUsage
	}
	if err := FuseAvailable(); err != nil {
		fmt.Fprintf(stderr, "lossyfs: %v\n", err)
		return exitNoFuse
	}
	model, err := NewModel(*backing, meta)
	if err != nil {
		fmt.Fprintf(stderr, "lossyfs: backing directory: %v\n", err)
		return exitError
	}
	lfs, err := Mount(model, *mount, MountOptions{Debug: *debug})
	if err != nil {
		fmt.Fprintf(stderr, "lossyfs: %v\n", err)
		if errors.Is(err, ErrNoFuse) {
			return exitNoFuse
		}
		return exitError
	}
	ctl, err := listenControl(*control, lfs)
	if err != nil {
		fmt.Fprintf(stderr, "lossyfs: control socket %s: %v\n", *control, err)
		_ = lfs.Unmount()
		return exitError
	}
	ready, _ := json.Marshal(map[string]any{
		"event": "mounted", "pid": os.Getpid(), "backing": model.Root(), "mount": lfs.mount,
		"control": *control, "metadata": meta.String(),
	})
	fmt.Fprintf(stdout, "%s\n", ready)

	signals := make(chan os.Signal, 2)
	signal.Notify(signals, syscall.SIGTERM, syscall.SIGINT)
	unmounted := make(chan struct{})
	go func() { lfs.Wait(); close(unmounted) }()
	code := exitOK
	select {
	case sig := <-signals:
		fmt.Fprintf(stderr, "lossyfs: %v: unmounting %s\n", sig, lfs.mount)
		if err := lfs.Unmount(); err != nil {
			fmt.Fprintf(stderr, "lossyfs: %v\n", err)
		}
	case <-unmounted:
		fmt.Fprintf(stderr, "lossyfs: %s was unmounted\n", lfs.mount)
	}
	ctl.Close()
	_ = os.Remove(*control)
	return code
}

type request struct {
	Cmd string `json:"cmd"`
}

type response struct {
	OK     bool   `json:"ok"`
	Error  string `json:"error,omitempty"`
	Result any    `json:"result,omitempty"`
}

func listenControl(path string, lfs *LossyFS) (net.Listener, error) {
	if c, err := net.DialTimeout("unix", path, 200*time.Millisecond); err == nil {
		c.Close()
		return nil, fmt.Errorf("another lossyfs answers on it")
	}
	_ = os.Remove(path)
	ln, err := net.Listen("unix", path)
	if err != nil {
		return nil, err
	}
	var mu sync.Mutex // one command at a time
	go func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer conn.Close()
				line, err := bufio.NewReader(conn).ReadBytes('\n')
				if err != nil && len(line) == 0 {
					return
				}
				var req request
				var resp response
				if err := json.Unmarshal(line, &req); err != nil {
					resp.Error = "bad request: " + err.Error()
				} else {
					mu.Lock()
					resp = handle(req, lfs)
					mu.Unlock()
				}
				out, _ := json.Marshal(resp)
				_, _ = conn.Write(append(out, '\n'))
			}()
		}
	}()
	return ln, nil
}

func handle(req request, lfs *LossyFS) response {
	switch req.Cmd {
	case "ping":
		return response{OK: true, Result: map[string]any{"pid": os.Getpid()}}
	case "status":
		return response{OK: true, Result: lfs.Model().Status()}
	case "sync":
		lfs.Sync()
		return response{OK: true, Result: lfs.Model().Status()}
	case "drop":
		sum, err := lfs.Drop()
		if err != nil {
			return response{Error: err.Error(), Result: sum}
		}
		return response{OK: true, Result: sum}
	}
	return response{Error: fmt.Sprintf("unknown command %q", req.Cmd)}
}

func cmdClient(cmd string, args []string, stdout, stderr io.Writer) int {
	flags := flag.NewFlagSet(cmd, flag.ContinueOnError)
	flags.SetOutput(stderr)
	control := flags.String("control", "", "control socket path")
	timeout := flags.Duration("timeout", 2*time.Minute, "how long to wait for the answer")
	if err := flags.Parse(args); err != nil {
		return exitUsage
	}
	if *control == "" {
		fmt.Fprintf(stderr, "lossyfs %s: --control is required\n", cmd)
		return exitUsage
	}
	conn, err := net.DialTimeout("unix", *control, 5*time.Second)
	if err != nil {
		fmt.Fprintf(stderr, "lossyfs %s: no lossyfs answers on %s: %v\n", cmd, *control, err)
		return exitNoControl
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(*timeout))
	req, _ := json.Marshal(request{Cmd: cmd})
	if _, err := conn.Write(append(req, '\n')); err != nil {
		fmt.Fprintf(stderr, "lossyfs %s: %v\n", cmd, err)
		return exitNoControl
	}
	line, err := bufio.NewReader(conn).ReadBytes('\n')
	if err != nil {
		fmt.Fprintf(stderr, "lossyfs %s: no answer: %v\n", cmd, err)
		return exitError
	}
	var resp struct {
		OK     bool            `json:"ok"`
		Error  string          `json:"error"`
		Result json.RawMessage `json:"result"`
	}
	if err := json.Unmarshal(line, &resp); err != nil {
		fmt.Fprintf(stderr, "lossyfs %s: bad answer: %v\n", cmd, err)
		return exitError
	}
	if len(resp.Result) > 0 {
		fmt.Fprintf(stdout, "%s\n", resp.Result)
	}
	if !resp.OK {
		fmt.Fprintf(stderr, "lossyfs %s: %s\n", cmd, resp.Error)
		return exitError
	}
	return exitOK
}
