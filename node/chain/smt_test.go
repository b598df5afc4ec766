package chain

import (
	"bytes"
	"errors"
	"maps"
	"slices"
	"testing"

	"pgregory.net/rapid"
)

// smtKeyGen draws keys that share long prefixes as often as not: a few base keys with
// one bit flipped at any depth, so splits and collapses happen deep in the tree too.
func smtKeyGen() *rapid.Generator[Hash] {
	bases := []Hash{{}, hashTagged("base", []byte{1}), hashTagged("base", []byte{2})}
	return rapid.Custom(func(t *rapid.T) Hash {
		k := rapid.SampledFrom(bases).Draw(t, "base")
		if rapid.Bool().Draw(t, "random") {
			return hashTagged("key", []byte{rapid.Byte().Draw(t, "seed")})
		}
		for _, i := range rapid.SliceOfN(rapid.IntRange(0, 255), 0, 2).Draw(t, "flips") {
			k[i/8] ^= 0x80 >> (i % 8)
		}
		return k
	})
}

// smtFromScratch builds the tree of m by inserting its keys in the given order.
func smtFromScratch(m map[Hash][]byte, order []Hash) *smtNode {
	var root *smtNode
	for _, k := range order {
		root = smtPut(root, 0, k, m[k])
	}
	return root
}

// checkCanonical fails unless every inner node has at least two leaves below it, the
// shape that makes the root a function of the contents alone.
func checkCanonical(t *rapid.T, n *smtNode) int {
	if n == nil {
		return 0
	}
	if n.leaf {
		return 1
	}
	leaves := checkCanonical(t, n.left) + checkCanonical(t, n.right)
	if leaves < 2 {
		t.Fatalf("inner node with %d leaves below it", leaves)
	}
	return leaves
}

// TestSMTProperties checks the sparse Merkle tree against a map: random puts and
// deletes, the root as a function of the contents only, canonical shape after deletes,
// and proofs that verify exactly the truth.
func TestSMTProperties(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		keyGen := smtKeyGen()
		model := map[Hash][]byte{}
		var root *smtNode
		ops := rapid.IntRange(1, 60).Draw(t, "ops")
		for range ops {
			k := keyGen.Draw(t, "key")
			before := nodeHash(root)
			if rapid.IntRange(0, 3).Draw(t, "op") == 0 {
				root = smtDelete(root, 0, k)
				_, had := model[k]
				delete(model, k)
				if !had && nodeHash(root) != before {
					t.Fatal("deleting an absent key changed the root")
				}
			} else {
				v := rapid.SliceOfN(rapid.Byte(), 1, 8).Draw(t, "value")
				root = smtPut(root, 0, k, v)
				model[k] = v
			}
			checkCanonical(t, root)
		}

		// Contents: every key of the model is found, and nothing else.
		n := 0
		if err := smtWalk(root, func(k Hash, v []byte) error {
			n++
			if !bytes.Equal(model[k], v) {
				t.Fatalf("walk: key %s holds %x, model %x", k.Short(), v, model[k])
			}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		if n != len(model) {
			t.Fatalf("tree holds %d keys, model %d", n, len(model))
		}

		// The root depends only on the contents: any insertion order gives it.
		keys := slices.Collect(maps.Keys(model))
		slices.SortFunc(keys, func(a, b Hash) int { return bytes.Compare(a[:], b[:]) })
		order := rapid.Permutation(keys).Draw(t, "order")
		if got := nodeHash(smtFromScratch(model, order)); got != nodeHash(root) {
			t.Fatalf("root after puts and deletes %s, built from scratch %s", nodeHash(root).Short(), got.Short())
		}

		// Proofs: of every key present and of absent ones, through their encoding.
		rootHash := nodeHash(root)
		probes := append(slices.Clone(keys), keyGen.Draw(t, "absent1"), keyGen.Draw(t, "absent2"))
		otherRoot := nodeHash(smtPut(root, 0, hashTagged("other"), []byte{1}))
		for _, k := range probes {
			p := smtProve(root, k)
			dp, err := DecodeProof(EncodeProof(&p))
			if err != nil {
				t.Fatalf("proof does not round-trip: %v", err)
			}
			v, err := VerifyProof(rootHash, k, dp)
			if err != nil {
				t.Fatalf("proof of %s does not verify: %v", k.Short(), err)
			}
			if want := model[k]; !bytes.Equal(v, want) || (v == nil) != (want == nil) {
				t.Fatalf("proof of %s shows %x, model %x", k.Short(), v, want)
			}
			if _, err := VerifyProof(otherRoot, k, dp); !errors.Is(err, ErrBadProof) {
				t.Fatalf("proof verifies against another root: %v", err)
			}
			// Any other key: an error, or (an absence proof of a neighbour) the truth.
			for _, o := range probes {
				if v, err := VerifyProof(rootHash, o, dp); err == nil && !bytes.Equal(v, model[o]) {
					t.Fatalf("proof of %s verifies %x for %s, model %x", k.Short(), v, o.Short(), model[o])
				}
			}
			if p.Value != nil {
				bad := *dp
				bad.Value = append(slices.Clone(bad.Value), 0)
				if _, err := VerifyProof(rootHash, k, &bad); !errors.Is(err, ErrBadProof) {
					t.Fatalf("proof with another value verifies: %v", err)
				}
				bad = *dp
				bad.LeafVal = hashTagged("daoli/smt/value", bad.Value)
				bad.Value = nil
				if _, err := VerifyProof(rootHash, k, &bad); !errors.Is(err, ErrBadProof) {
					t.Fatalf("inclusion proof stripped of its value verifies: %v", err)
				}
			}
			if len(dp.Siblings) > 0 {
				bad := *dp
				bad.Siblings = slices.Clone(bad.Siblings)
				i := rapid.IntRange(0, len(bad.Siblings)-1).Draw(t, "sibling")
				bad.Siblings[i][0] ^= 1
				if _, err := VerifyProof(rootHash, k, &bad); !errors.Is(err, ErrBadProof) {
					t.Fatalf("proof with a changed sibling verifies: %v", err)
				}
			}
		}
	})
}

// TestSMTDeleteAll empties a tree key by key, checking each step against a rebuild.
func TestSMTDeleteAll(t *testing.T) {
	m := map[Hash][]byte{}
	var order []Hash
	for i := range 100 {
		k := hashTagged("key", []byte{byte(i)})
		if i%3 == 1 {
			k = order[i-1]
			k[31] ^= 1 // a neighbour of the previous key, split at depth 255
		}
		m[k] = []byte{byte(i)}
		order = append(order, k)
	}
	root := smtFromScratch(m, order)
	for i, k := range order {
		root = smtDelete(root, 0, k)
		delete(m, k)
		if got, want := nodeHash(root), nodeHash(smtFromScratch(m, order[i+1:])); got != want {
			t.Fatalf("after deleting %d keys: root %s, rebuilt %s", i+1, got.Short(), want.Short())
		}
	}
	if root != nil {
		t.Fatal("tree not empty after deleting every key")
	}
}
