// Package devnet makes and runs a local demo network: N trustees on loopback libp2p,
// with a genesis whose timing suits a demonstration (Φ ≈ 1 s, Δ ≈ 0.5 s, a 2 s
// cycle). Genesis writes the files a real deployment would have — the network file and
// one directory per trustee with its configuration and key file — so the same
// directory can be run in one process (Start, what the desktop app embeds) or as one
// daoli-trustee process per trustee.
//
// Layout of a devnet directory D:
//
//	D/network.json              chain ID, genesis, bootstrap addresses
//	D/trustee-<i>/config.json   trustee.Config, paths relative to the directory
//	D/trustee-<i>/key.json      the trustee's key file (mode 0600)
//	D/trustee-<i>/data/         its chain database, created on first run
//	D/users/user-<i>.json       key files of the funded demo users
package devnet
