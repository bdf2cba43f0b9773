// Command parley runs Parley locally and talks to a running instance.
//
//	parley serve [--addr 127.0.0.1:8080] [--data ./.parley] [--backend embedded|aws]
//	parley token --account A [--role admin] [--ttl 1h] [--data ./.parley]
//	parley sandbox messages [--addr 127.0.0.1:8080] [--account demo]
//	parley dlq redrive [--addr 127.0.0.1:8080]
//
// serve runs every HTTP route, the dispatcher and the fan-out check in one
// process; its settings come from the same environment variables as the
// Lambda functions (see README), and flags override them.
package main

import (
	"fmt"
	"io"
	"os"

	"github.com/parleyhq/parley/internal/parley"
)

const usage = `usage:
  parley serve [--addr ADDR] [--data DIR] [--backend embedded|aws] [--clock 2027-03-14T06:00:00Z]
  parley token --account A [--role admin] [--ttl 1h] [--data DIR]   a development token for parley serve
  parley sandbox messages [--addr ADDR] [--account demo]   what the sandbox gateway sent the account
  parley dlq redrive [--addr ADDR]        move dead-lettered jobs back onto the queue
`

// operator commands: words → method and path on a running parley serve,
// and whether the route is an operator's (else it is a tenant's, for the
// account --account names).
var operator = map[string]struct {
	method, path string
	operator     bool
}{
	"sandbox messages": {"GET", "/sandbox/messages", false},
	"dlq redrive":      {"POST", "/admin/dlq/redrive", true},
}

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// run runs the command line on the wall clock.
func run(args []string, stdout, stderr io.Writer) int {
	return runAt(parley.SystemClock{}, args, stdout, stderr)
}

// runAt runs the command line with tokens minted by clock, so that a test
// running parley serve on a clock of its own mints tokens on the same one.
func runAt(clock parley.Clock, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	var err error
	switch {
	case args[0] == "serve":
		err = serve(args[1:], stderr)
	case args[0] == "token":
		err = token(serverClock(clock, stderr), args[1:], stdout, stderr)
	case len(args) > 1 && operator[args[0]+" "+args[1]].path != "":
		op := operator[args[0]+" "+args[1]]
		var r *remote
		if r, err = parseRemote(serverClock(clock, stderr), args[0]+" "+args[1], op.operator, args[2:], stderr); err == nil {
			err = r.call(op.method, op.path, stdout)
		}
	default:
		fmt.Fprint(stderr, usage)
		return 2
	}
	if err != nil {
		fmt.Fprintln(stderr, "parley:", err)
		return 1
	}
	return 0
}
