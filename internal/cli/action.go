package cli

import "github.com/spf13/cobra"

// actionCmd is a placeholder until its work lands.
func (e *env) actionCmd() *cobra.Command {
	return &cobra.Command{Use: "action", Hidden: true, RunE: func(*cobra.Command, []string) error {
		return usageError("action: not available in this build yet")
	}}
}
