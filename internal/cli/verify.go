package cli

import "github.com/spf13/cobra"

// verifyCmd is a placeholder until its work lands.
func (e *env) verifyCmd() *cobra.Command {
	return &cobra.Command{Use: "verify", Hidden: true, RunE: func(*cobra.Command, []string) error {
		return usageError("verify: not available in this build yet")
	}}
}
