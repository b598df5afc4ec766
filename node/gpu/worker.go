package gpu

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/fxamacker/cbor/v2"

	"github.com/daolicloud/daoli/node/internal/frame"
	"github.com/daolicloud/daoli/node/market/terms"
)

// A GPU worker (`daoli gpu-worker`) runs one job and exits: a device that a watchdog
// had to kill, or that a shader left in a bad state, is never reused.
//
// Parent and worker speak in frames on the worker's standard input and output, as
// compute's worker does: a kind byte, a big-endian 32-bit length, a body. The parent
// sends the job (CBOR); before each dispatch the worker asks (the dispatch's number,
// 4 bytes) and waits for the parent's go, so a paused job submits nothing; it says
// when the dispatch is submitted, and ends with its reply (CBOR).

// Frame kinds.
const (
	frameJob     = 'j' // parent: the job
	frameGo      = 'g' // parent: submit the dispatch asked for
	frameAsk     = 'a' // worker: may dispatch n be submitted?
	frameStarted = 's' // worker: dispatch n is submitted
	frameReply   = 'r' // worker: the result
)

// maxWorkerMessage bounds a frame: a job's module and input, or its output, with room.
const maxWorkerMessage = 2*terms.MaxBlob + 1<<20

var workerDec = func() cbor.DecMode {
	d, err := cbor.DecOptions{MaxNestedLevels: 8, MaxArrayElements: 1 << 10, MaxMapPairs: 64,
		IndefLength: cbor.IndefLengthForbidden, TagsMd: cbor.TagsForbidden}.DecMode()
	if err != nil {
		panic("gpu: cbor decoder options: " + err.Error())
	}
	return d
}()

// Error codes a reply carries for the sentinels the parent maps them back to.
const (
	codeOther      = ""
	codeNoExecutor = "no-executor"
	codeNoAdapter  = "no-adapter"
)

// workerReply is the worker's answer.
type workerReply struct {
	Result Result
	Error  string // the worker could not run the job at all
	Code   string // which sentinel Error stands for
}

// WorkerMain is the GPU worker process: it reads one job from in, runs it with exec
// and writes the result to out. It returns the process's exit code.
func WorkerMain(in io.Reader, out, errOut io.Writer, exec Executor) int {
	r := bufio.NewReaderSize(in, 64<<10)
	kind, body, err := frame.Read(r, maxWorkerMessage)
	if err != nil || kind != frameJob {
		fmt.Fprintln(errOut, "daoli gpu-worker: reading the job:", err, kind)
		return 2
	}
	var job Job
	if err := workerDec.Unmarshal(body, &job); err != nil {
		fmt.Fprintln(errOut, "daoli gpu-worker: the job does not decode:", err)
		return 2
	}
	body = nil
	rep := runJob(job, exec, r, out)
	b, err := cbor.Marshal(&rep)
	if err == nil {
		err = frame.Write(out, frameReply, b)
	}
	if err != nil {
		fmt.Fprintln(errOut, "daoli gpu-worker: writing the result:", err)
		return 1
	}
	return 0
}

// errStopped: the parent ended the conversation before a dispatch.
var errStopped = errors.New("the parent stopped the job")

// runJob runs one job, asking the parent before each dispatch.
func runJob(job Job, exec Executor, in *bufio.Reader, out io.Writer) workerReply {
	start := time.Now()
	invalid := func(err error) workerReply {
		return workerReply{Result: Result{Status: StatusInvalid, Reason: err.Error(), Elapsed: time.Since(start)}}
	}
	m, err := DecodeManifest(job.Module)
	if err != nil {
		return invalid(err)
	}
	if err := job.Limits.Admit(m); err != nil {
		return invalid(err)
	}
	bufs, err := Buffers(m, job.InputTree)
	if err != nil {
		return invalid(err)
	}
	done := 0
	var stopped error
	before := func(i int) bool {
		done = i
		var n [4]byte
		binary.BigEndian.PutUint32(n[:], uint32(i))
		if err := frame.Write(out, frameAsk, n[:]); err != nil {
			stopped = err
			return false
		}
		kind, _, err := frame.Read(in, 0)
		if err != nil || kind != frameGo {
			stopped = fmt.Errorf("%w: %v %q", errStopped, err, kind)
			return false
		}
		return true
	}
	started := func(i int) {
		var n [4]byte
		binary.BigEndian.PutUint32(n[:], uint32(i))
		_ = frame.Write(out, frameStarted, n[:])
	}
	final, adapter, err := exec.Execute(m, bufs, before, started)
	switch {
	case stopped != nil:
		return workerReply{Error: stopped.Error()}
	case errors.Is(err, ErrShader):
		rep := invalid(err)
		rep.Result.Adapter = adapter.String()
		return rep
	case errors.Is(err, ErrNoExecutor):
		return workerReply{Error: err.Error(), Code: codeNoExecutor}
	case errors.Is(err, ErrNoAdapter):
		return workerReply{Error: err.Error(), Code: codeNoAdapter}
	case err != nil:
		return workerReply{Result: Result{Status: StatusFailed, Reason: err.Error(), Dispatches: done,
			Adapter: adapter.String(), Elapsed: time.Since(start)}}
	}
	tree, err := Outputs(m, final)
	if err != nil {
		return workerReply{Error: fmt.Sprintf("pack the output: %v", err)}
	}
	return workerReply{Result: Result{Status: StatusOK, Tree: tree, Dispatches: m.DispatchCount(),
		Adapter: adapter.String(), Elapsed: time.Since(start)}}
}
