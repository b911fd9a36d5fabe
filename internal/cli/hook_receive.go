package cli

import "github.com/spf13/cobra"

// hookPreReceiveCmd is a placeholder until its work lands.
func (e *env) hookPreReceiveCmd() *cobra.Command {
	return &cobra.Command{Use: "pre-receive", RunE: func(*cobra.Command, []string) error {
		return usageError("hook pre-receive: not available in this build yet")
	}}
}
