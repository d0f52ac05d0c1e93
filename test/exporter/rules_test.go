package exporter

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"go.yaml.in/yaml/v2"
)

func alertsDir(t *testing.T) string {
	return filepath.Join(repoRoot(t), "exporter", "alerts")
}

// TestAlertRules runs promtool check rules and promtool test rules on
// every rule file, and checks that each alert has a runbook and is made to
// fire by at least one unit test.
func TestAlertRules(t *testing.T) {
	promtool := requireTool(t, "promtool")
	dir := alertsDir(t)
	rules, _ := filepath.Glob(filepath.Join(dir, "*.rules.yml"))
	tests, _ := filepath.Glob(filepath.Join(dir, "*_test.yml"))
	if len(rules) == 0 || len(tests) == 0 {
		t.Fatalf("no rules or rule tests in %s", dir)
	}
	run := func(args ...string) {
		t.Helper()
		cmd := exec.Command(promtool, args...)
		cmd.Dir = dir
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Errorf("promtool %v: %v\n%s", args, err, out)
		}
	}
	run(append([]string{"check", "rules"}, rules...)...)
	run(append([]string{"test", "rules"}, tests...)...)

	fired := map[string]bool{}
	for _, f := range tests {
		var tf struct {
			Tests []struct {
				AlertRuleTest []struct {
					Alertname string           `yaml:"alertname"`
					ExpAlerts []map[string]any `yaml:"exp_alerts"`
				} `yaml:"alert_rule_test"`
			} `yaml:"tests"`
		}
		readYAML(t, f, &tf)
		for _, tc := range tf.Tests {
			for _, a := range tc.AlertRuleTest {
				if len(a.ExpAlerts) > 0 {
					fired[a.Alertname] = true
				}
			}
		}
	}
	for _, f := range rules {
		var rf struct {
			Groups []struct {
				Rules []struct {
					Alert       string            `yaml:"alert"`
					Labels      map[string]string `yaml:"labels"`
					Annotations map[string]string `yaml:"annotations"`
				} `yaml:"rules"`
			} `yaml:"groups"`
		}
		readYAML(t, f, &rf)
		for _, g := range rf.Groups {
			for _, r := range g.Rules {
				if r.Alert == "" {
					continue
				}
				if !fired[r.Alert] {
					t.Errorf("%s: no unit test makes %s fire", filepath.Base(f), r.Alert)
				}
				for _, k := range []string{"summary", "description", "runbook"} {
					if r.Annotations[k] == "" {
						t.Errorf("%s: %s has no %s", filepath.Base(f), r.Alert, k)
					}
				}
				if s := r.Labels["severity"]; s != "warning" && s != "critical" {
					t.Errorf("%s: %s severity %q", filepath.Base(f), r.Alert, s)
				}
			}
		}
	}
}

func readYAML(t *testing.T, path string, v any) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := yaml.Unmarshal(b, v); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
}
