// Package scale is the load harness of docs/scale.md: it runs hundreds of light nodes
// against a trustee set on this machine and measures what each trustee pays for them.
//
// The trustees are real daoli-trustee processes (built by Build), one per trustee, on
// loopback, so that each one's CPU and memory are read from /proc/PID: nothing about
// a trustee is attributed by guesswork. The light nodes are light.Node values in the
// harness's own process, each on a real libp2p host of its own (TCP on 127.0.0.1,
// Noise, Yamux, the relay client the app's node uses), with a wallet funded at
// genesis, mining a ticket every epoch, following the certified blocks, proving its
// balance and sending transfers on a schedule; a chosen share of them register as
// compute providers. Each light host counts its bytes by peer (p2p.HostConfig's
// Bandwidth), which gives both the bytes per light node and each trustee's traffic
// with the light nodes.
//
// A run measures over a window of certified epochs, once every light node has caught
// up: block delivery from certification (the first trustee's "block certified" log
// line) to each light node's verified block, tickets and transfers taken in, each
// trustee's CPU, resident memory and connections, and bytes and connections per light
// node. Its Report also says what was lost: a certified block some light node never
// verified, a transfer a trustee took that never arrived, a provider that never
// registered.
package scale
