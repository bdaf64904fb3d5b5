package forward

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os/exec"
)

// Program is Falco's program_output: each alert is written, as one line,
// to the standard input of a shell command (run with /bin/sh -c, like
// popen). With KeepAlive the command is started once and reads every alert;
// otherwise it is started for each alert and must exit with status 0. A
// kept-alive program that exits early may leave alerts unread in its pipe
// that were counted as delivered; the next alert restarts it, and Close
// reports its exit status.
type Program struct {
	command   string
	keepAlive bool
	buffered  bool
	stdout    io.Writer
	stderr    io.Writer
	cmd       *exec.Cmd
	stdin     io.WriteCloser
	w         *bufio.Writer
}

// NewProgram returns the program_output channel running command, whose
// output goes to stdout and stderr. buffered is Falco's buffered_outputs:
// with KeepAlive, lines are flushed on Close instead of after each alert.
func NewProgram(command string, keepAlive, buffered bool, stdout, stderr io.Writer) *Program {
	return &Program{command: command, keepAlive: keepAlive, buffered: buffered, stdout: stdout, stderr: stderr}
}

// Name returns "program_output".
func (c *Program) Name() string { return "program_output" }

// Deliver writes line and a newline to the program.
func (c *Program) Deliver(ctx context.Context, line []byte) error {
	if !c.keepAlive {
		cmd := exec.CommandContext(ctx, "/bin/sh", "-c", c.command)
		cmd.Stdin = bytes.NewReader(append(line, '\n'))
		cmd.Stdout, cmd.Stderr = c.stdout, c.stderr
		if err := cmd.Run(); err != nil {
			return fmt.Errorf("run %q: %w", c.command, err)
		}
		return nil
	}
	if c.cmd == nil {
		if err := c.start(); err != nil {
			return err
		}
	}
	c.w.Write(line)
	c.w.WriteByte('\n')
	if !c.buffered {
		if err := c.w.Flush(); err != nil {
			// The program exited: the next attempt starts it again.
			werr := c.wait()
			return errors.Join(fmt.Errorf("write to %q: %w", c.command, err), werr)
		}
	}
	return nil
}

// start starts the kept-alive program.
func (c *Program) start() error {
	cmd := exec.Command("/bin/sh", "-c", c.command)
	cmd.Stdout, cmd.Stderr = c.stdout, c.stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return fmt.Errorf("start %q: %w", c.command, err)
	}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start %q: %w", c.command, err)
	}
	c.cmd, c.stdin, c.w = cmd, stdin, bufio.NewWriter(stdin)
	return nil
}

// wait closes the program's input and waits for it to exit.
func (c *Program) wait() error {
	if c.cmd == nil {
		return nil
	}
	err := c.w.Flush()
	if cerr := c.stdin.Close(); err == nil {
		err = cerr
	}
	if werr := c.cmd.Wait(); werr != nil {
		err = werr
	}
	c.cmd, c.stdin, c.w = nil, nil, nil
	if err != nil {
		return fmt.Errorf("run %q: %w", c.command, err)
	}
	return nil
}

// Close ends the program's input and waits for it to exit; an exit status
// other than 0 is an error.
func (c *Program) Close() error { return c.wait() }
