// Command leakgate finds leaked secrets and gates CI on them. See the README.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/leakgate/leakgate/internal/cli"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := cli.Main(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}
