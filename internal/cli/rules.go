package cli

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/leakgate/leakgate/detect"
	"github.com/leakgate/leakgate/report"
	"github.com/leakgate/leakgate/rules"
	"github.com/leakgate/leakgate/scan"
)

func (e *env) rulesCmd() *cobra.Command {
	c := &cobra.Command{Use: "rules", Short: "List the rules, or test a rule file's examples"}
	var config string
	list := &cobra.Command{
		Use:   "list",
		Short: "List the rules in force (built-in, merged with --config)",
		Args:  cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			set, err := loadRules(".", config)
			if err != nil {
				return &exitError{code: scan.ExitIncomplete, err: err}
			}
			tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "ID\tKEYWORDS\tDESCRIPTION")
			for _, r := range set.Rules {
				fmt.Fprintf(tw, "%s\t%s\t%s\n", r.ID, strings.Join(r.Keywords, ","), r.Description)
			}
			tw.Flush()
			fmt.Fprintf(e.stdout, "%d rules, version %s\n", len(set.Rules), set.Version)
			return nil
		},
	}
	list.Flags().StringVarP(&config, "config", "c", "", "merge this config `FILE` with the built-in rules")
	test := &cobra.Command{
		Use:   "test [FILE]",
		Short: "Check that each rule's examples are found and its counterexamples are not (built-in rules without FILE)",
		Args:  cobra.MaximumNArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			var set *rules.Set
			if len(args) == 0 {
				set = rules.Default()
			} else {
				data, err := os.ReadFile(args[0])
				if err != nil {
					return &exitError{code: scan.ExitIncomplete, err: unwrapOS(err)}
				}
				set, err = rules.ParseRules(args[0], data)
				if err != nil {
					return &exitError{code: scan.ExitIncomplete, err: err}
				}
			}
			problems := detect.CheckExamples(set)
			for _, p := range problems {
				fmt.Fprintln(e.stdout, p)
			}
			examples := 0
			for _, r := range set.Rules {
				examples += len(r.Examples) + len(r.Counterexamples)
			}
			fmt.Fprintf(e.stdout, "%d rules, %d examples and counterexamples, %d problems\n", len(set.Rules), examples, len(problems))
			if len(problems) > 0 {
				return &exitError{code: scan.ExitFail}
			}
			return nil
		},
	}
	c.AddCommand(list, test)
	return c
}

func (e *env) reportCmd() *cobra.Command {
	c := &cobra.Command{Use: "report", Short: "Work with saved reports"}
	var to, output string
	var noRedact bool
	convert := &cobra.Command{
		Use:   "convert --to FORMAT FILE.json",
		Short: "Render a saved JSON report in another format (text, json, jsonl, sarif)",
		Args:  cobra.ExactArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			format, err := report.ParseFormat(to)
			if err != nil {
				return usageError("%v", err)
			}
			in, err := os.Open(args[0])
			if err != nil {
				return &exitError{code: scan.ExitIncomplete, err: unwrapOS(err)}
			}
			defer in.Close()
			rep, err := readReport(in, args[0])
			if err != nil {
				return &exitError{code: scan.ExitIncomplete, err: err}
			}
			out := e.stdout
			if output != "" {
				f, err := os.Create(output)
				if err != nil {
					return &exitError{code: scan.ExitIncomplete, err: unwrapOS(err)}
				}
				defer f.Close()
				out = f
			}
			return writeReport(out, format, rep, noRedact)
		},
	}
	convert.Flags().StringVar(&to, "to", "sarif", "output `FORMAT`: text, json, jsonl, sarif")
	convert.Flags().StringVarP(&output, "output", "o", "", "write to `FILE` instead of stdout")
	convert.Flags().BoolVar(&noRedact, "no-redact", false, "keep unredacted secrets unredacted (only if the saved report has them)")
	c.AddCommand(convert)
	return c
}

func readReport(r io.Reader, name string) (*report.Report, error) {
	rep, err := report.ReadJSON(r)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return rep, nil
}

func writeReport(w io.Writer, format report.Format, rep *report.Report, noRedact bool) error {
	bw := bufio.NewWriter(w)
	if err := report.Write(bw, format, rep, report.Options{NoRedact: noRedact}); err != nil {
		return &exitError{code: scan.ExitIncomplete, err: err}
	}
	if err := bw.Flush(); err != nil {
		return &exitError{code: scan.ExitIncomplete, err: err}
	}
	return nil
}
