using System.Diagnostics;
using System.Text.Json.Nodes;
using Jint;
using Jint.Native;
using Jint.Runtime;
using Pdp.Evaluation.Results;
using Pdp.Policies.Model;
using Pdp.Policies.Sandbox;

namespace Pdp.Evaluation.Runtime;

/// <summary>
/// One sandbox engine with every policy and helper module of a set instantiated in it, their module-level
/// values, the data and each policy's prepared value deep-frozen. Pooled and reused: building one costs milliseconds, a call into it microseconds.
/// Used by one thread at a time. After a limit was hit it is <see cref="Poisoned"/> and not reused,
/// since an interrupted run may leave the interpreter in a state nobody has proven clean.
/// </summary>
internal sealed class PolicyRuntime
{
    private readonly SandboxEngine _sandbox;
    private readonly JsValue[] _decide;
    private readonly JsValue[] _prepared;
    private readonly string?[] _prepareFailures;
    private readonly JsValue _data;
    private readonly PolicySet _set;
    private readonly int _timeoutMilliseconds;

    public PolicyRuntime(PolicySet set, SandboxOptions options)
    {
        _set = set;
        _timeoutMilliseconds = options.TimeoutMilliseconds;
        _sandbox = new SandboxEngine(options, set.Libraries);

        // Helper modules first, frozen before any policy (or other helper) can see them.
        foreach (var library in set.Libraries)
        {
            _sandbox.ImportFrozen(library.File);
        }

        _decide = new JsValue[set.Policies.Count];
        _prepared = new JsValue[set.Policies.Count];
        _prepareFailures = new string?[set.Policies.Count];
        for (var i = 0; i < set.Policies.Count; i++)
        {
            var policy = set.Policies[i];
            var exports = _sandbox.ImportFrozen(policy.Specifier, policy.Module);
            _decide[i] = exports.Get("decide");

            // prepare(data) ran once for the set; each engine only converts its result, deep-frozen like data.
            var prepared = set.PreparedFor(policy.Id);
            _prepared[i] = prepared is { Failed: false } ? _sandbox.ToFrozenValue(prepared.Value) : JsValue.Undefined;
            _prepareFailures[i] = prepared?.Failure;
        }

        _data = _sandbox.ToFrozenValue(set.Data);
    }

    public bool Poisoned { get; private set; }

    /// <summary>Converts the input into this engine's values and pins the sandbox clock to the decision time.</summary>
    public JsValue Prepare(JsonObject input, DateTimeOffset time)
    {
        _sandbox.Now = time;
        return _sandbox.ToFrozenValue(input);
    }

    /// <summary>The input as cacheable policies see it: without the per-request facts (<c>decision_id</c>, <c>time</c>).</summary>
    public JsValue PrepareTimeless(JsonObject input) => _sandbox.ToFrozenValue(input, OutcomeCache.PerRequestFacts);

    /// <summary>Calls one policy's <c>decide</c>. Cacheable policies run with the clock hidden.</summary>
    public PolicyOutcome Evaluate(int policyIndex, JsValue input)
    {
        var policy = _set.Policies[policyIndex];
        var id = policy.Id;
        var started = Stopwatch.GetTimestamp();
        if (_prepareFailures[policyIndex] is { } failure)
        {
            // Only a set whose data was replaced (tests, pdp eval --data) can get here: a loaded set with one is refused.
            return PolicyOutcome.Failed(id, PolicyErrorKind.Exception, $"policy '{id}' failed closed: {PolicyResultReader.Truncate(failure, 300)}", Stopwatch.GetElapsedTime(started));
        }

        _sandbox.ClockHidden = policy.Metadata.Cacheable;
        try
        {
            var result = _sandbox.Engine.Invoke(_decide[policyIndex], JsValue.Undefined, [input, _data, _prepared[policyIndex]]);
            return PolicyResultReader.Read(id, result, Stopwatch.GetElapsedTime(started));
        }
        catch (JavaScriptException e)
        {
            // A thrown error unwinds normally; the engine stays usable once its stack is cleared.
            _sandbox.Engine.Advanced.ResetCallStack();
            return PolicyOutcome.Failed(id, PolicyErrorKind.Exception, $"policy '{id}' failed closed: it threw {PolicyResultReader.Truncate(e.Message, 200)}", Stopwatch.GetElapsedTime(started));
        }
        catch (TimeoutException)
        {
            Poisoned = true;
            return PolicyOutcome.Failed(id, PolicyErrorKind.Timeout, $"policy '{id}' failed closed: it used more than {_timeoutMilliseconds} ms of CPU time", Stopwatch.GetElapsedTime(started));
        }
        catch (Exception e) when (e is StatementsCountOverflowException or MemoryLimitExceededException or RecursionDepthOverflowException)
        {
            Poisoned = true;
            return PolicyOutcome.Failed(id, PolicyErrorKind.Limit, $"policy '{id}' failed closed: {LimitName(e)} exceeded", Stopwatch.GetElapsedTime(started));
        }
        catch (Exception e) when (e is JintException or InvalidOperationException or ArgumentException or OperationCanceledException or InsufficientExecutionStackException)
        {
            // Anything else the interpreter raises is a policy failure too, never a server failure.
            Poisoned = true;
            return PolicyOutcome.Failed(id, PolicyErrorKind.Exception, $"policy '{id}' failed closed: {e.GetType().Name}", Stopwatch.GetElapsedTime(started));
        }
    }

    private static string LimitName(Exception e) => e switch
    {
        StatementsCountOverflowException => "statement limit",
        MemoryLimitExceededException => "memory limit",
        _ => "recursion limit",
    };
}
