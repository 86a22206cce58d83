using System.Text.Json.Nodes;
using Jint;
using Jint.Native;
using Jint.Runtime;
using Pdp.Policies.Model;
using Pdp.Policies.Sandbox;

namespace Pdp.Policies.Loading;

/// <summary>
/// Runs each policy's optional <c>prepare(data)</c> once for a policy set: in a sandbox engine of its own, under the
/// same limits as <c>decide</c>, on the deep-frozen data, with the clock hidden (what is prepared once per revision
/// must not depend on when the revision was loaded, or a replay would decide differently). The result is kept as JSON
/// (see <see cref="PreparedValueWriter"/> for what is accepted); every pooled engine turns it into a deep-frozen copy.
/// Thread-safe: each call builds its own engines.
/// </summary>
public sealed class PolicyPreparer
{
    private const string ClockRefusal = "prepare(data) runs once per policy set, not per decision, so it may not read the clock (Date.now(), new Date())";

    private readonly SandboxOptions _options;
    private long _calls;

    public PolicyPreparer(SandboxOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options;
    }

    /// <summary>How many times this preparer has called a policy's <c>prepare</c>: observable proof that it runs per set, not per decision.</summary>
    public long Calls => Interlocked.Read(ref _calls);

    /// <summary>Calls <c>prepare(data)</c> of every policy that exports it; the result by policy id, failures included.</summary>
    public IReadOnlyDictionary<string, PreparedData> Prepare(IReadOnlyList<CompiledPolicy> policies, IReadOnlyList<CompiledLibrary> libraries, JsonObject data)
    {
        ArgumentNullException.ThrowIfNull(policies);
        ArgumentNullException.ThrowIfNull(libraries);
        ArgumentNullException.ThrowIfNull(data);
        var results = new Dictionary<string, PreparedData>(StringComparer.Ordinal);
        SandboxEngine? engine = null;
        JsValue frozenData = JsValue.Undefined;
        foreach (var policy in policies.Where(p => p.HasPrepare))
        {
            if (engine is null)
            {
                engine = new SandboxEngine(_options, libraries);
                frozenData = engine.ToFrozenValue(data);
            }

            var (result, poisoned) = PrepareOne(engine, policy, frozenData);
            results[policy.Id] = result;
            if (poisoned)
            {
                // An interrupted engine is not trusted for the next policy, as in the evaluation runtime.
                engine = null;
            }
        }

        return results;
    }

    private (PreparedData Result, bool Poisoned) PrepareOne(SandboxEngine engine, CompiledPolicy policy, JsValue data)
    {
        JsValue prepare;
        try
        {
            prepare = engine.ImportFrozen(policy.Specifier, policy.Module).Get("prepare");
        }
        catch (Exception e) when (e is JavaScriptException or JintException or TimeoutException or InvalidOperationException)
        {
            return (new PreparedData(null, $"the module failed to load for prepare(data): {e.Message}"), true);
        }

        engine.HideClock(ClockRefusal);
        Interlocked.Increment(ref _calls);
        try
        {
            var value = engine.Engine.Invoke(prepare, JsValue.Undefined, [data]);
            var json = PreparedValueWriter.Write(engine.Engine, value, out var error);
            return (new PreparedData(json, error is null ? null : $"prepare(data) returned an unusable value: {error}"), false);
        }
        catch (JavaScriptException e)
        {
            engine.Engine.Advanced.ResetCallStack();
            return (new PreparedData(null, $"prepare(data) threw: {Truncate(e.Message)}"), false);
        }
        catch (TimeoutException)
        {
            return (new PreparedData(null, $"prepare(data) used more than {_options.TimeoutMilliseconds} ms of CPU time"), true);
        }
        catch (StatementsCountOverflowException)
        {
            return (new PreparedData(null, $"prepare(data) exceeded the statement limit ({_options.MaxStatements})"), true);
        }
        catch (MemoryLimitExceededException)
        {
            return (new PreparedData(null, $"prepare(data) exceeded the memory limit ({_options.MemoryLimitBytes} bytes)"), true);
        }
        catch (RecursionDepthOverflowException)
        {
            return (new PreparedData(null, $"prepare(data) exceeded the recursion limit ({_options.MaxRecursionDepth})"), true);
        }
        catch (Exception e) when (e is JintException or InvalidOperationException or ArgumentException or OperationCanceledException or InsufficientExecutionStackException)
        {
            return (new PreparedData(null, $"prepare(data) failed: {e.GetType().Name}"), true);
        }
        finally
        {
            engine.ClockHidden = false;
        }
    }

    private static string Truncate(string text) => text.Length <= 200 ? text : text[..200] + "…";
}
