// Command cbrnn trains, benchmarks and inspects cortico-cerebellar RNNs and
// their task plugins. Each subcommand lives in its own file and registers
// itself in init, so adding one touches nothing else.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"sort"
	"syscall"

	"github.com/cbrnn/cbrnn/env"
)

// command is one subcommand: a one-line summary and its entry point, which
// receives the arguments after the subcommand's name.
type command struct {
	summary string
	run     func(ctx context.Context, args []string) error
}

var commands = map[string]command{}

func register(name, summary string, run func(ctx context.Context, args []string) error) {
	commands[name] = command{summary: summary, run: run}
}

// afterInterrupt says, per command, what an interruption keeps and how to
// go on; commands without an entry get the generic line.
var afterInterrupt = map[string]string{
	"train":   "finished epochs are saved; continue with the same command and --resume",
	"figures": "finished runs are kept in runs/, and rerunning the same command resumes the interrupted ones",
}

// parseOneArg parses fs from args with flags allowed before and after the
// command's one positional argument (the standard flag package stops at the
// first positional one) and returns it; any other count prints the usage and
// is an error naming what was wanted.
func parseOneArg(fs *flag.FlagSet, args []string, what string) (string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return "", err
		}
		if fs.NArg() == 0 {
			break
		}
		pos = append(pos, fs.Arg(0))
		args = fs.Args()[1:]
	}
	if len(pos) != 1 {
		fs.Usage()
		return "", fmt.Errorf("want one %s, got %d arguments", what, len(pos))
	}
	return pos[0], nil
}

func usage() {
	fmt.Fprintln(os.Stderr, "usage: cbrnn <command> [flags]\n\ncommands:")
	names := make([]string, 0, len(commands))
	for n := range commands {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(os.Stderr, "  %-10s %s\n", n, commands[n].summary)
	}
	fmt.Fprintln(os.Stderr, "\nRun 'cbrnn <command> -h' for a command's flags.")
}

func main() {
	if len(os.Args) < 2 || os.Args[1] == "-h" || os.Args[1] == "--help" || os.Args[1] == "help" {
		usage()
		os.Exit(2)
	}
	cmd, ok := commands[os.Args[1]]
	if !ok {
		fmt.Fprintf(os.Stderr, "cbrnn: unknown command %q\n\n", os.Args[1])
		usage()
		os.Exit(2)
	}
	// Ctrl-C and SIGTERM cancel the context: commands stop at the next safe
	// point, keep what they finished and shut their plugins down.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := cmd.run(ctx, os.Args[2:]); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			os.Exit(2)
		}
		// A command may choose its exit status (slurm-task's "requeue me",
		// which a SIGTERM from Slurm asks for): it wins over the interrupt.
		var coded interface{ ExitCode() int }
		if errors.As(err, &coded) {
			fmt.Fprintf(os.Stderr, "cbrnn %s: %v\n", os.Args[1], err)
			os.Exit(coded.ExitCode())
		}
		if ctx.Err() != nil {
			// Ctrl-C or SIGTERM: one line, not "context canceled" (nor the
			// "task host is closed" of a request cut short).
			// With $CBRNN_QUIET_INTERRUPT=1 not a word: the script that ran
			// cbrnn (reproduce.sh) says itself what was interrupted.
			if os.Getenv(env.QuietInterruptVar) != "1" {
				hint := afterInterrupt[os.Args[1]]
				if hint == "" {
					hint = "nothing was lost that a rerun cannot redo"
				}
				fmt.Fprintf(os.Stderr, "cbrnn %s: interrupted; %s\n", os.Args[1], hint)
			}
			os.Exit(130)
		}
		fmt.Fprintf(os.Stderr, "cbrnn %s: %v\n", os.Args[1], err)
		os.Exit(1)
	}
}
