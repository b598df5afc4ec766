// Package content is the compute market's content directory (docs/compute.md): modules,
// inputs and outputs addressed by their SHA-256, kept on disk by whoever has them and
// served to peers over the content protocol of node/p2p in chunks.
//
// A fetch asks for one chunk at a time, so a response never exceeds the protocol's
// size limit, and writes what it received to a partial file; an interrupted transfer
// resumes from where the partial file ends, from the same peer or another. The blob is
// checked against its hash before it is kept: a peer that sends other bytes wastes
// only its own bandwidth, and is penalized.
package content
