package compute

import (
	"fmt"
	"math"
	"math/bits"
	"os"
	"os/exec"
	"runtime"
	"sync"
	"syscall"
	"unsafe"

	"golang.org/x/sys/windows"
)

// lowerPriority puts the worker in Windows' idle priority class: its threads run only
// when nothing of normal priority wants the CPU. (The parent starts it in that class
// too; this covers a worker started by hand.)
func lowerPriority() {
	_ = windows.SetPriorityClass(windows.CurrentProcess(), windows.IDLE_PRIORITY_CLASS)
}

// setProcessGroup starts the worker in a process group of its own (a console's
// Ctrl-C does not reach it: the app decides when a job ends), without a console
// window, and at idle priority from its first instruction.
func setProcessGroup(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{
		CreationFlags: windows.CREATE_NEW_PROCESS_GROUP | windows.CREATE_NO_WINDOW | windows.IDLE_PRIORITY_CLASS,
	}
}

var (
	ntdll            = windows.NewLazySystemDLL("ntdll.dll")
	ntSuspendProcess = ntdll.NewProc("NtSuspendProcess")
	ntResumeProcess  = ntdll.NewProc("NtResumeProcess")

	getProcessAffinityMask = windows.NewLazySystemDLL("kernel32.dll").NewProc("GetProcessAffinityMask")
)

// signalStop suspends every thread of the process (NtSuspendProcess, what Task
// Manager's and Resource Monitor's "Suspend process" call): Windows has no SIGSTOP.
// Suspension counts, so each stop is matched by one signalCont.
func signalStop(p *os.Process) error { return ntProcess(p, ntSuspendProcess) }

// signalCont resumes the threads signalStop suspended.
func signalCont(p *os.Process) error { return ntProcess(p, ntResumeProcess) }

func ntProcess(p *os.Process, proc *windows.LazyProc) error {
	h, err := windows.OpenProcess(windows.PROCESS_SUSPEND_RESUME, false, uint32(p.Pid))
	if err != nil {
		return fmt.Errorf("open process %d: %w", p.Pid, err)
	}
	defer windows.CloseHandle(h)
	if err := proc.Find(); err != nil {
		return fmt.Errorf("%s: %w", proc.Name, ErrNotSupported)
	}
	if st, _, _ := proc.Call(uintptr(h)); st != 0 {
		return fmt.Errorf("%s(%d): %w", proc.Name, p.Pid, windows.NTStatus(st))
	}
	return nil
}

// workerOverhead is what a worker process commits beside a job's linear memory: its
// Go heap (workerHeapLimit), the compiled modules it keeps and the runtime's own.
const workerOverhead = workerHeapLimit + 256<<20

// processMemory is the Job Object's cap on a worker running a job whose linear
// memory may reach mem bytes. A memory grows by copying into a larger slice here
// (memory_other.go), so old and new are both committed for a moment.
func processMemory(mem uint64) uint64 { return 2*mem + workerOverhead }

// osLimits is the worker's Job Object: Windows itself keeps the process at idle
// priority, within the job's memory (processMemory) and, while the governor says
// so, within a CPU rate and on its cores. Closing the object ends the process
// (JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE): a worker does not outlive the app.
type osLimits struct {
	mu  sync.Mutex
	job windows.Handle
	// info is the job's limits as last set; kept here rather than read back, since
	// Wine answers a query with zeros.
	info windows.JOBOBJECT_EXTENDED_LIMIT_INFORMATION
}

func (l *osLimits) attach(p *os.Process) error {
	job, err := windows.CreateJobObject(nil, nil)
	if err != nil {
		return fmt.Errorf("worker's job object: %w", err)
	}
	info := windows.JOBOBJECT_EXTENDED_LIMIT_INFORMATION{}
	info.BasicLimitInformation.LimitFlags = windows.JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE | windows.JOB_OBJECT_LIMIT_PRIORITY_CLASS
	info.BasicLimitInformation.PriorityClass = windows.IDLE_PRIORITY_CLASS
	if _, err := windows.SetInformationJobObject(job, windows.JobObjectExtendedLimitInformation,
		uintptr(unsafe.Pointer(&info)), uint32(unsafe.Sizeof(info))); err != nil {
		windows.CloseHandle(job)
		return fmt.Errorf("worker's job object limits: %w", err)
	}
	h, err := windows.OpenProcess(windows.PROCESS_SET_QUOTA|windows.PROCESS_TERMINATE|windows.PROCESS_SET_INFORMATION, false, uint32(p.Pid))
	if err != nil {
		windows.CloseHandle(job)
		return fmt.Errorf("open worker %d: %w", p.Pid, err)
	}
	defer windows.CloseHandle(h)
	// The creation flag and the job's limit say the same; Wine heeds only this.
	if err := windows.SetPriorityClass(h, windows.IDLE_PRIORITY_CLASS); err != nil {
		windows.CloseHandle(job)
		return fmt.Errorf("worker %d to idle priority: %w", p.Pid, err)
	}
	if err := windows.AssignProcessToJobObject(job, h); err != nil {
		windows.CloseHandle(job)
		return fmt.Errorf("worker %d into its job object: %w", p.Pid, err)
	}
	l.mu.Lock()
	l.job, l.info = job, info
	l.mu.Unlock()
	return nil
}

// extended changes the job's limits with f and sets them.
func (l *osLimits) extended(f func(*windows.JOBOBJECT_EXTENDED_LIMIT_INFORMATION)) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.job == 0 {
		return nil
	}
	info := l.info
	f(&info)
	if _, err := windows.SetInformationJobObject(l.job, windows.JobObjectExtendedLimitInformation,
		uintptr(unsafe.Pointer(&info)), uint32(unsafe.Sizeof(info))); err != nil {
		return fmt.Errorf("set the worker's job object: %w", err)
	}
	l.info = info
	return nil
}

// memory caps the worker's committed memory for a job of mem bytes.
func (l *osLimits) memory(mem uint64) error {
	return l.extended(func(info *windows.JOBOBJECT_EXTENDED_LIMIT_INFORMATION) {
		info.BasicLimitInformation.LimitFlags |= windows.JOB_OBJECT_LIMIT_PROCESS_MEMORY
		info.ProcessMemoryLimit = uintptr(min(processMemory(mem), math.MaxUint64/2))
	})
}

// cpu pins the worker to the first cores CPUs this process may use and caps its CPU
// rate at duty of them (a hard cap: Windows does not let it run over its share
// even on an idle machine); cores 0 lifts both.
func (l *osLimits) cpu(cores int, duty float64) error {
	var mask uintptr
	if cores > 0 {
		var proc, sys uintptr
		if r, _, err := getProcessAffinityMask.Call(uintptr(windows.CurrentProcess()),
			uintptr(unsafe.Pointer(&proc)), uintptr(unsafe.Pointer(&sys))); r == 0 {
			return fmt.Errorf("read CPU affinity: %w", err)
		}
		for m, n := proc, 0; m != 0 && n < cores; n++ {
			low := m & -m
			mask |= low
			m &^= low
		}
	}
	rate := cpuRateControl{}
	if cores > 0 && duty < 1 {
		rate = cpuRateControl{ControlFlags: jobCPURateEnable | jobCPURateHardCap, CpuRate: cpuRate(bits.OnesCount64(uint64(mask)), duty, runtime.NumCPU())}
	}
	// The rate first: where it is refused (Wine), the affinity stays as it was too;
	// where the affinity is refused, applyCPULimit lifts the rate again.
	setRate := func(rate cpuRateControl) error {
		l.mu.Lock()
		defer l.mu.Unlock()
		if l.job == 0 {
			return nil
		}
		_, err := windows.SetInformationJobObject(l.job, windows.JobObjectCpuRateControlInformation,
			uintptr(unsafe.Pointer(&rate)), uint32(unsafe.Sizeof(rate)))
		return err
	}
	setAffinity := func(mask uintptr) error {
		return l.extended(func(info *windows.JOBOBJECT_EXTENDED_LIMIT_INFORMATION) {
			if mask != 0 {
				info.BasicLimitInformation.LimitFlags |= windows.JOB_OBJECT_LIMIT_AFFINITY
				info.BasicLimitInformation.Affinity = mask
			} else {
				info.BasicLimitInformation.LimitFlags &^= windows.JOB_OBJECT_LIMIT_AFFINITY
				info.BasicLimitInformation.Affinity = 0
			}
		})
	}
	return applyCPULimit(setRate, setAffinity, rate, mask)
}

func (l *osLimits) close() {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.job != 0 {
		windows.CloseHandle(l.job)
		l.job = 0
	}
}
