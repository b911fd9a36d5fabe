package cli

import "github.com/spf13/cobra"

// baselineCmd is a placeholder until its work lands.
func (e *env) baselineCmd() *cobra.Command {
	return &cobra.Command{Use: "baseline", Hidden: true, RunE: func(*cobra.Command, []string) error {
		return usageError("baseline: not available in this build yet")
	}}
}
