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
/// One sandbox engine with every policy of a set instantiated in it, its module-level values and the
/// data deep-frozen. Pooled and reused: building one costs milliseconds, a call into it microseconds.
/// Used by one thread at a time. After a limit was hit it is <see cref="Poisoned"/> and not reused,
/// since an interrupted run may leave the interpreter in a state nobody has proven clean.
/// </summary>
internal sealed class PolicyRuntime
{
    private readonly SandboxEngine _sandbox;
    private readonly JsValue[] _decide;
    private readonly JsValue _data;
    private readonly PolicySet _set;
    private readonly int _timeoutMilliseconds;

    public PolicyRuntime(PolicySet set, SandboxOptions options)
    {
        _set = set;
        _timeoutMilliseconds = options.TimeoutMilliseconds;
        _sandbox = new SandboxEngine(options);
        var modules = _sandbox.Engine.Modules;
        _decide = new JsValue[set.Policies.Count];
        for (var i = 0; i < set.Policies.Count; i++)
        {
            var policy = set.Policies[i];
            var prepared = policy.Module;
            modules.Add(policy.Specifier, builder => builder.AddModule(prepared));
            var exports = modules.Import(policy.Specifier);
            _sandbox.Freeze(exports.Get(CompiledPolicy.BindingsExport));
            _sandbox.Freeze(exports);
            _decide[i] = exports.Get("decide");
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
        _sandbox.ClockHidden = policy.Metadata.Cacheable;
        try
        {
            var result = _sandbox.Engine.Invoke(_decide[policyIndex], JsValue.Undefined, [input, _data]);
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
