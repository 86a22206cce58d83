using Pdp.Evaluation.Results;

namespace Pdp.Cli;

/// <summary>
/// A one-shot tool always starts cold: the first calls into the interpreter are JIT-compiled on the way,
/// on the evaluating thread, and one can run past the sandbox's time budget although the same policy
/// answers in a few milliseconds once warm, as it does in a running server that has warmed its engines. <c>eval</c> and
/// <c>test</c> therefore run a decision with a timed-out policy once more and report the second result.
/// A policy that is really too slow times out both times, and a statement, memory or recursion limit is
/// never retried.
/// </summary>
internal static class ColdStart
{
    public static bool TimedOut(Decision? decision) =>
        decision is not null && decision.Outcomes.Any(o => o.Error == PolicyErrorKind.Timeout);
}
