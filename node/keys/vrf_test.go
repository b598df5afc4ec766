package keys

import (
	"bytes"
	"encoding/hex"
	"errors"
	"testing"
)

func mustHex(t *testing.T, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// RFC 9381 Appendix B.4 (ECVRF-EDWARDS25519-SHA512-ELL2), Examples 19 to 21.
func TestVRFVectors(t *testing.T) {
	vectors := []struct {
		name, sk, pk, alpha, pi, beta string
	}{
		{
			name:  "example 19",
			sk:    "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60",
			pk:    "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a",
			alpha: "",
			pi:    "7d9c633ffeee27349264cf5c667579fc583b4bda63ab71d001f89c10003ab46f14adf9a3cd8b8412d9038531e865c341cafa73589b023d14311c331a9ad15ff2fb37831e00f0acaa6d73bc9997b06501",
			beta:  "9d574bf9b8302ec0fc1e21c3ec5368269527b87b462ce36dab2d14ccf80c53cccf6758f058c5b1c856b116388152bbe509ee3b9ecfe63d93c3b4346c1fbc6c54",
		},
		{
			name:  "example 20",
			sk:    "4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb",
			pk:    "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c",
			alpha: "72",
			pi:    "47b327393ff2dd81336f8a2ef10339112401253b3c714eeda879f12c509072ef055b48372bb82efbdce8e10c8cb9a2f9d60e93908f93df1623ad78a86a028d6bc064dbfc75a6a57379ef855dc6733801",
			beta:  "38561d6b77b71d30eb97a062168ae12b667ce5c28caccdf76bc88e093e4635987cd96814ce55b4689b3dd2947f80e59aac7b7675f8083865b46c89b2ce9cc735",
		},
		{
			name:  "example 21",
			sk:    "c5aa8df43f9f837bedb7442f31dcb7b166d38535076f094b85ce3a2e0b4458f7",
			pk:    "fc51cd8e6218a1a38da47ed00230f0580816ed13ba3303ac5deb911548908025",
			alpha: "af82",
			pi:    "926e895d308f5e328e7aa159c06eddbe56d06846abf5d98c2512235eaa57fdce35b46edfc655bc828d44ad09d1150f31374e7ef73027e14760d42e77341fe05467bb286cc2c9d7fde29120a0b2320d04",
			beta:  "121b7f9b9aaaa29099fc04a94ba52784d44eac976dd1a3cca458733be5cd090a7b5fbd148444f17f8daf1fb55cb04b1ae85a626e30a54b4b0f8abf4a43314a58",
		},
	}
	for _, v := range vectors {
		t.Run(v.name, func(t *testing.T) {
			k, err := FromSeed(mustHex(t, v.sk))
			if err != nil {
				t.Fatal(err)
			}
			if got := k.Public().String(); got != v.pk {
				t.Fatalf("public key %s, want %s", got, v.pk)
			}
			alpha := mustHex(t, v.alpha)
			proof, beta := k.VRFProve(alpha)
			if got := hex.EncodeToString(proof); got != v.pi {
				t.Fatalf("proof %s, want %s", got, v.pi)
			}
			if got := hex.EncodeToString(beta); got != v.beta {
				t.Fatalf("beta %s, want %s", got, v.beta)
			}
			verified, err := VRFVerify(k.Public(), alpha, mustHex(t, v.pi))
			if err != nil || !bytes.Equal(verified, beta) {
				t.Fatalf("VRFVerify = %x, %v", verified, err)
			}
		})
	}
}

func TestVRF(t *testing.T) {
	k, other := testKey(t, 1), testKey(t, 2)
	alpha := []byte("epoch 42 seed")
	proof, beta := k.VRFProve(alpha)
	if len(proof) != ProofSize || len(beta) != OutputSize {
		t.Fatalf("proof %d bytes, beta %d bytes", len(proof), len(beta))
	}
	again, againBeta := k.VRFProve(alpha)
	if !bytes.Equal(again, proof) || !bytes.Equal(againBeta, beta) {
		t.Fatal("one key and one alpha gave two proofs")
	}
	got, err := VRFVerify(k.Public(), alpha, proof)
	if err != nil || !bytes.Equal(got, beta) {
		t.Fatalf("VRFVerify = %x, %v", got, err)
	}
	_, otherBeta := other.VRFProve(alpha)
	if bytes.Equal(otherBeta, beta) {
		t.Fatal("two keys have the same luck")
	}
	_, nextBeta := k.VRFProve([]byte("epoch 43 seed"))
	if bytes.Equal(nextBeta, beta) {
		t.Fatal("two alphas give the same luck")
	}

	tampered := func(i int) []byte {
		p := append([]byte{}, proof...)
		p[i] ^= 0x01
		return p
	}
	tests := []struct {
		name  string
		pub   PublicKey
		alpha []byte
		proof []byte
	}{
		{"tampered gamma", k.Public(), alpha, tampered(0)},
		{"tampered challenge", k.Public(), alpha, tampered(32)},
		{"tampered response", k.Public(), alpha, tampered(ProofSize - 1)},
		{"different alpha", k.Public(), []byte("epoch 43 seed"), proof},
		{"different key", other.Public(), alpha, proof},
		{"short proof", k.Public(), alpha, proof[:ProofSize-1]},
		{"long proof", k.Public(), alpha, append(append([]byte{}, proof...), 0)},
		{"empty proof", k.Public(), alpha, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			beta, err := VRFVerify(tt.pub, tt.alpha, tt.proof)
			if !errors.Is(err, ErrBadProof) || beta != nil {
				t.Fatalf("VRFVerify = %x, %v; want ErrBadProof", beta, err)
			}
		})
	}
}
