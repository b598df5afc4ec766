package chain

import (
	"bytes"
	"fmt"
)

// The state commitment is a compact sparse Merkle tree over 256-bit keys: a subtree
// holding one leaf is that leaf, so a path is only as deep as the keys' common prefixes
// (about log2 n) while the root still depends only on the set of (key, value) pairs, never
// on the order they were written. The tree is persistent: an update copies the path it
// touches and shares the rest, so Apply can return a new state and leave the old intact.
//
//	leaf  = H("daoli/smt/leaf" ‖ key ‖ H(value))
//	inner = H("daoli/smt/node" ‖ left ‖ right)     (an empty subtree hashes to zero)

type smtNode struct {
	// A leaf has a value; an inner node has children (at least two leaves below it).
	leaf        bool
	key         Hash
	value       []byte
	left, right *smtNode
	hash        Hash
	hashed      bool
}

func bit(k Hash, i int) byte { return (k[i/8] >> (7 - uint(i%8))) & 1 }

func leafHash(key Hash, value []byte) Hash {
	vh := hashTagged("daoli/smt/value", value)
	return hashTagged("daoli/smt/leaf", key[:], vh[:])
}

func innerHash(l, r Hash) Hash {
	return hashTagged("daoli/smt/node", l[:], r[:])
}

// nodeHash returns the node's hash, computing and caching it for nodes that are new.
// Nodes are hashed before a state is shared (State.Root), so caching never races.
func nodeHash(n *smtNode) Hash {
	if n == nil {
		return Hash{}
	}
	if !n.hashed {
		if n.leaf {
			n.hash = leafHash(n.key, n.value)
		} else {
			n.hash = innerHash(nodeHash(n.left), nodeHash(n.right))
		}
		n.hashed = true
	}
	return n.hash
}

func smtGet(n *smtNode, key Hash) ([]byte, bool) {
	for depth := 0; n != nil; depth++ {
		if n.leaf {
			if n.key == key {
				return n.value, true
			}
			return nil, false
		}
		if bit(key, depth) == 0 {
			n = n.left
		} else {
			n = n.right
		}
	}
	return nil, false
}

// smtPut returns a tree with key set to value.
func smtPut(n *smtNode, depth int, key Hash, value []byte) *smtNode {
	if n == nil {
		return &smtNode{leaf: true, key: key, value: value}
	}
	if n.leaf {
		if n.key == key {
			return &smtNode{leaf: true, key: key, value: value}
		}
		return smtSplit(n, &smtNode{leaf: true, key: key, value: value}, depth)
	}
	c := &smtNode{left: n.left, right: n.right}
	if bit(key, depth) == 0 {
		c.left = smtPut(n.left, depth+1, key, value)
	} else {
		c.right = smtPut(n.right, depth+1, key, value)
	}
	return c
}

// smtSplit builds the inner nodes that separate two leaves below depth.
func smtSplit(a, b *smtNode, depth int) *smtNode {
	ba, bb := bit(a.key, depth), bit(b.key, depth)
	if ba == bb {
		child := smtSplit(a, b, depth+1)
		if ba == 0 {
			return &smtNode{left: child}
		}
		return &smtNode{right: child}
	}
	if ba == 0 {
		return &smtNode{left: a, right: b}
	}
	return &smtNode{left: b, right: a}
}

// smtDelete returns a tree without key. An inner node left with a single leaf below it
// collapses into that leaf, which keeps the shape canonical.
func smtDelete(n *smtNode, depth int, key Hash) *smtNode {
	if n == nil {
		return nil
	}
	if n.leaf {
		if n.key == key {
			return nil
		}
		return n
	}
	l, r := n.left, n.right
	if bit(key, depth) == 0 {
		l = smtDelete(l, depth+1, key)
		if l == n.left {
			return n
		}
	} else {
		r = smtDelete(r, depth+1, key)
		if r == n.right {
			return n
		}
	}
	switch {
	case l == nil && r == nil:
		return nil
	case l == nil && r.leaf:
		return r
	case r == nil && l.leaf:
		return l
	}
	return &smtNode{left: l, right: r}
}

func smtWalk(n *smtNode, fn func(key Hash, value []byte) error) error {
	if n == nil {
		return nil
	}
	if n.leaf {
		return fn(n.key, n.value)
	}
	if err := smtWalk(n.left, fn); err != nil {
		return err
	}
	return smtWalk(n.right, fn)
}

// Proof shows that a key holds a value, or holds nothing, under a state root. Siblings
// run from the root down; Leaf is the leaf found where the key's path ends, if any.
type Proof struct {
	_        struct{} `cbor:",toarray"`
	Siblings []Hash
	LeafKey  Hash   // with LeafSet: a leaf at the end of the path (the key itself, or another that proves absence)
	LeafVal  Hash   // H(value) of that leaf
	LeafSet  bool   // false: the path ends in an empty subtree
	Value    []byte // the value when the proof is of inclusion
}

func smtProve(root *smtNode, key Hash) Proof {
	var p Proof
	n := root
	for depth := 0; n != nil && !n.leaf; depth++ {
		if bit(key, depth) == 0 {
			p.Siblings = append(p.Siblings, nodeHash(n.right))
			n = n.left
		} else {
			p.Siblings = append(p.Siblings, nodeHash(n.left))
			n = n.right
		}
	}
	if n != nil {
		p.LeafSet, p.LeafKey = true, n.key
		p.LeafVal = hashTagged("daoli/smt/value", n.value)
		if n.key == key {
			p.Value = append([]byte(nil), n.value...)
		}
	}
	return p
}

// EncodeProof returns the canonical encoding of p.
func EncodeProof(p *Proof) []byte { return encode(p) }

// DecodeProof parses a proof, rejecting oversized, malformed and non-canonical input.
func DecodeProof(data []byte) (*Proof, error) {
	p := new(Proof)
	if err := decode(data, p, MaxStateValue+256*40); err != nil {
		return nil, err
	}
	return p, nil
}

// VerifyProof checks p against root for key. It returns the value held (nil when the
// proof shows the key is absent).
func VerifyProof(root, key Hash, p *Proof) ([]byte, error) {
	if len(p.Siblings) > 256 {
		return nil, fmt.Errorf("%w: path longer than 256", ErrBadProof)
	}
	var h Hash
	switch {
	case !p.LeafSet:
		if p.Value != nil {
			return nil, fmt.Errorf("%w: value without leaf", ErrBadProof)
		}
	case p.LeafKey == key:
		if p.Value == nil || hashTagged("daoli/smt/value", p.Value) != p.LeafVal {
			return nil, fmt.Errorf("%w: value does not match leaf", ErrBadProof)
		}
		h = hashTagged("daoli/smt/leaf", key[:], p.LeafVal[:])
	default:
		// Another leaf on the key's path proves absence, if it shares the path's prefix.
		if p.Value != nil {
			return nil, fmt.Errorf("%w: value for another key", ErrBadProof)
		}
		for i := range p.Siblings {
			if bit(p.LeafKey, i) != bit(key, i) {
				return nil, fmt.Errorf("%w: leaf is off the key's path", ErrBadProof)
			}
		}
		h = hashTagged("daoli/smt/leaf", p.LeafKey[:], p.LeafVal[:])
	}
	for i := len(p.Siblings) - 1; i >= 0; i-- {
		if bit(key, i) == 0 {
			h = innerHash(h, p.Siblings[i])
		} else {
			h = innerHash(p.Siblings[i], h)
		}
	}
	if !bytes.Equal(h[:], root[:]) {
		return nil, ErrBadProof
	}
	return p.Value, nil
}
