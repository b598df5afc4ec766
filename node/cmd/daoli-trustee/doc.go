// Command daoli-trustee is the headless full node that trustee operators run
// (docs/trustee.md): it certifies blocks with the other trustees and serves light
// nodes. It is pure Go, so CGO_ENABLED=0 builds it.
//
//	daoli-trustee init --dir D [--network FILE] [--listen ADDR]...   make a key and a configuration
//	daoli-trustee devnet --trustees N --dir D [--start]             make (and run) a local demo network
//	daoli-trustee run --config FILE [--metrics ADDR]                run a trustee until SIGINT or SIGTERM
//	daoli-trustee bond --config FILE [--amount N] [--addr MULTIADDR]...
//	                                                                join the trustee set with a TrusteeBond
//	daoli-trustee unbond --config FILE                              leave it with a TrusteeUnbond
//	daoli-trustee --version
package main
