package cli

import "github.com/spf13/cobra"

// hookCmd groups the git hooks: pre-receive (server side, hook_receive.go),
// pre-commit and install (client side, hook_commit.go).
func (e *env) hookCmd() *cobra.Command {
	c := &cobra.Command{
		Use:   "hook",
		Short: "Git hooks: pre-receive (server), pre-commit (client), install",
		Args:  cobra.NoArgs,
	}
	c.AddCommand(e.hookPreReceiveCmd(), e.hookPreCommitCmd(), e.hookInstallCmd())
	return c
}
