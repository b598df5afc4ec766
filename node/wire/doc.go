// Package wire holds the messages between trustees and light nodes (docs/p2p.md): the
// certified blocks of the blocks topic, and the requests and responses of the sync,
// proof, submit, clock and state services. It has the types, their ValidateBasic
// checks and their codec: canonical CBOR in node/chain's modes, decoded under the size
// limit of the protocol the bytes came on and after a check that they would not decode
// far larger than they are (decodecost.go).
//
// The trustee's consensus messages are node/ibft's and decode in the same modes; the
// trustee refuses bloated ones with CheckDecodeCost before ibft decodes them.
//
// It holds no handlers: node/trustee serves these messages and node/light asks for
// them, and both import this package rather than each other, as CometBFT keeps
// rpc/core/types apart from rpc/core.
package wire
