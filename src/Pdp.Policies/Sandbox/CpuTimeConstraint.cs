using System.Diagnostics;
using System.Runtime.InteropServices;
using Jint;
using Jint.Runtime;

namespace Pdp.Policies.Sandbox;

/// <summary>
/// Stops a policy call that has executed more than its number of statements (Jint's
/// <see cref="StatementsCountOverflowException"/>, as its own statement limit would) or used more than its
/// budget of CPU time on its own thread. One constraint for both because Jint calls every constraint on
/// every statement: a second one cost about a microsecond per decision. CPU time, not wall-clock time: on a
/// busy two-core node a wall-clock limit turns a policy that was merely descheduled into a false deny. The
/// clock (a system call of about a microsecond) is read only every <see cref="StatementsPerReading"/>
/// statements; the first reading starts the budget, so a call shorter than that never reads the clock at all.
/// </summary>
internal sealed partial class CpuTimeConstraint(TimeSpan budget, int maxStatements) : Constraint
{
    public const int StatementsPerReading = 1024;

    private readonly long _budgetNanoseconds = (long)budget.TotalNanoseconds;
    private readonly int _maxStatements = maxStatements;
    private int _statementsLeft = maxStatements;
    private int _countdown = StatementsPerReading;
    private long _startedAt = -1;

    public override void Reset()
    {
        _statementsLeft = _maxStatements;
        _countdown = StatementsPerReading;
        _startedAt = -1;
    }

    public override void Check()
    {
        if (--_statementsLeft < 0)
        {
            throw new StatementsCountOverflowException();
        }

        if (--_countdown > 0)
        {
            return;
        }

        _countdown = StatementsPerReading;
        var now = ThreadCpuNanoseconds();
        if (_startedAt < 0)
        {
            _startedAt = now;
        }
        else if (now - _startedAt > _budgetNanoseconds)
        {
            throw new TimeoutException("The policy used more than its CPU time budget.");
        }
    }

    private static long ThreadCpuNanoseconds()
    {
        if (OperatingSystem.IsLinux() && clock_gettime(ClockThreadCpuTimeId, out var spec) == 0)
        {
            return (spec.Seconds * 1_000_000_000) + spec.Nanoseconds;
        }

        // Elsewhere (a developer's laptop), wall-clock time is the closest stand-in.
        return (long)Stopwatch.GetElapsedTime(0).TotalNanoseconds;
    }

    private const int ClockThreadCpuTimeId = 3;

    [StructLayout(LayoutKind.Sequential)]
    private struct TimeSpec
    {
        public long Seconds;
        public long Nanoseconds;
    }

    [LibraryImport("libc", EntryPoint = "clock_gettime")]
    private static partial int clock_gettime(int clockId, out TimeSpec spec);
}
