package cli

import "github.com/spf13/cobra"

// remediateCmd is a placeholder until its work lands.
func (e *env) remediateCmd() *cobra.Command {
	return &cobra.Command{Use: "remediate", Hidden: true, RunE: func(*cobra.Command, []string) error {
		return usageError("remediate: not available in this build yet")
	}}
}
