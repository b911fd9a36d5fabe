package cli

import "github.com/spf13/cobra"

// hookCmd is a placeholder until its work lands.
func (e *env) hookCmd() *cobra.Command {
	return &cobra.Command{Use: "hook", Hidden: true, RunE: func(*cobra.Command, []string) error {
		return usageError("hook: not available in this build yet")
	}}
}
