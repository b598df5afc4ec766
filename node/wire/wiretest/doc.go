// Package wiretest builds hostile CBOR for the tests of the decoders and of
// wire.CheckDecodeCost: heads of any major type and arrays of empty items, which
// weigh one byte each and would each decode to a whole struct. Only tests import it.
package wiretest
