// Package nemesis runs Daoli's own processes under real faults and checks that nothing
// is lost: N daoli-trustee processes and M headless light nodes (`daoli node`: all
// mining and sharing, one buying compute), each in a network namespace of its own on a
// bridge, while a nemesis on a seeded random schedule partitions the network (halves,
// one trustee alone, a light node cut off from every trustee, one-way drops), drops
// packets at random (iptables' statistic match), delays and reorders what reaches
// the trustees (a user-space proxy), pauses processes (SIGSTOP/SIGCONT),
// kills and restarts them, fills one trustee's disk (a small tmpfs) and runs clocks
// skewed (node/internal/skew, in binaries built with the tag "nemesis").
//
// After the schedule everything heals and the checker verifies, from every node's
// store, write-ahead log and control API: no two certified blocks at one height, the
// supply invariant at every height, every light node's ledger equal to its proven
// balance, no trustee that signed two conflicting votes, certification again within a
// bounded number of epochs, every light node caught up, and a trustee whose disk
// filled that stopped with a clear line and resumed with everything it had committed.
//
// Each run writes, in its directory, history.jsonl (what the nemesis did when, and
// every node's height and tip over time), summary.txt (one screen) and the nodes' logs;
// the same seed replays the same schedule. Linux only, as root: namespaces, veth
// pairs, a bridge and iptables rules live in the namespaces, and everything is removed
// at the end, failed runs included.
package nemesis
