package app

import (
	"flag"
	"fmt"

	"github.com/daolicloud/daoli/node/light"
)

// The test binary, run as `daoli node` by the end-to-end tests, has --provider-fault:
// a provider that misbehaves, to test mediation and timeouts. Only test files set
// nodeTestFlags, so the daoli binary has no such flag (packaging's
// TestDebPackages/release_flags runs it to check).
func init() {
	nodeTestFlags = func(fs *flag.FlagSet, mc *light.MarketConfig) func() error {
		fault := fs.String("provider-fault", "", "misbehave as a provider, to test mediation and timeouts: wrong-output or silent")
		return func() error {
			switch *fault {
			case "":
			case "wrong-output":
				mc.Fault = light.FaultWrongOutput
			case "silent":
				mc.Fault = light.FaultSilent
			default:
				return fmt.Errorf("--provider-fault %q: want wrong-output or silent", *fault)
			}
			return nil
		}
	}
}
