using Jint;
using Jint.Native;
using Jint.Native.Object;
using Jint.Runtime;
using Pdp.Policies.Model;
using Module = Acornima.Ast.Module;

namespace Pdp.Policies.Sandbox;

/// <summary>
/// A Jint engine set up as the policy sandbox: strict mode, no CLR access (Jint allows none unless asked),
/// no <c>eval</c> or <c>Function</c> from strings, a module loader that serves only the set's own registered
/// modules (policies and <c>lib/*.js</c> helpers, never a file read at import time), a clock
/// pinned to the decision time, no <c>Math.random</c>, and every intrinsic and the global object frozen
/// so one policy cannot pollute what another sees. Limits from <see cref="SandboxOptions"/> apply to each
/// call. Not thread-safe: one thread at a time, as Jint requires.
/// </summary>
public sealed class SandboxEngine
{
    private readonly DecisionClock _clock = new();
    private readonly DeepFreezer _freezer = new();
    private readonly Func<Exception> _refuseClock;
    private readonly HashSet<string> _libraries = new(StringComparer.Ordinal);

    public SandboxEngine(SandboxOptions options)
        : this(options, [])
    {
    }

    /// <param name="options">The limits every call runs under.</param>
    /// <param name="libraries">The set's helper modules, registered so that policies (and each other) can import them.</param>
    public SandboxEngine(SandboxOptions options, IReadOnlyList<CompiledLibrary> libraries)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(libraries);
        var jintOptions = new Options
        {
            Strict = true,
            TimeSystem = _clock,
        };
        jintOptions.EnableModules(new LibraryModuleLoader(_libraries));
        // The statement limit is counted by the CPU-time constraint (see there), not by Jint's own MaxStatements.
        jintOptions.Constraint(new CpuTimeConstraint(TimeSpan.FromMilliseconds(options.TimeoutMilliseconds), options.MaxStatements))
            .LimitMemory(options.MemoryLimitBytes)
            .LimitRecursion(options.MaxRecursionDepth)
            .DisableStringCompilation();
        jintOptions.Constraints.MaxArraySize = options.MaxArraySize;
        jintOptions.Constraints.RegexTimeout = TimeSpan.FromMilliseconds(options.RegexTimeoutMilliseconds);

        Engine = new Engine(jintOptions);
        _refuseClock = () => new JavaScriptException(Engine.Intrinsics.TypeError, "this policy declares cacheable: true, so it may not read the clock (Date.now(), new Date())");
        LockDownGlobals();
        foreach (var library in libraries)
        {
            AddLibrary(library);
        }
    }

    /// <summary>The underlying engine. Callers must not add globals: the global object is frozen.</summary>
    public Engine Engine { get; }

    /// <summary>The time <c>Date.now()</c> answers; set to the decision's time before each evaluation.</summary>
    public DateTimeOffset Now
    {
        get => _clock.Now;
        set => _clock.Now = value;
    }

    /// <summary>
    /// Hides the clock: while true, <c>Date.now()</c> and <c>new Date()</c> throw a <c>TypeError</c> (a policy failure
    /// like any other throw) instead of answering. Set for policies that declare <c>cacheable: true</c>.
    /// </summary>
    public bool ClockHidden
    {
        get => _clock.Refusal is not null;
        set => _clock.Refusal = value ? _refuseClock : null;
    }

    /// <summary>
    /// Hides the clock with a reason of the caller's choosing (the <c>TypeError</c> a read throws), until
    /// <see cref="ClockHidden"/> is set again.
    /// </summary>
    public void HideClock(string reason) => _clock.Refusal = () => new JavaScriptException(Engine.Intrinsics.TypeError, reason);

    /// <summary>Registers a helper module, making it importable from the modules of this engine (it runs when first imported).</summary>
    public void AddLibrary(CompiledLibrary library)
    {
        ArgumentNullException.ThrowIfNull(library);
        var module = library.Module;
        Engine.Modules.Add(library.File, builder => builder.AddModule(module));
        _libraries.Add(library.File);
    }

    /// <summary>
    /// Registers a prepared module under <paramref name="specifier"/>, imports it (running its top level under the
    /// sandbox limits) and deep-freezes its module-level bindings (the loader's <see cref="CompiledPolicy.BindingsExport"/>)
    /// and its namespace. Returns the frozen namespace.
    /// </summary>
    public ObjectInstance ImportFrozen(string specifier, Prepared<Module> module)
    {
        Engine.Modules.Add(specifier, builder => builder.AddModule(module));
        return ImportFrozen(specifier);
    }

    /// <summary>Imports a registered module (a helper module, say) and deep-freezes it as <see cref="ImportFrozen(string, Prepared{Module})"/> does.</summary>
    public ObjectInstance ImportFrozen(string specifier)
    {
        var exports = Engine.Modules.Import(specifier);
        _freezer.Freeze(exports.Get(CompiledPolicy.BindingsExport));
        _freezer.Freeze(exports);
        return exports;
    }

    /// <summary>Deep-freezes a value created in this engine (module bindings, data).</summary>
    public void Freeze(JsValue value) => _freezer.Freeze(value);

    /// <summary>Converts a JSON document to a deep-frozen value of this engine.</summary>
    public JsValue ToFrozenValue(System.Text.Json.Nodes.JsonNode? node) => FrozenJsonConverter.ToFrozen(Engine, node);

    /// <summary>The double a JSON number becomes in the sandbox.</summary>
    public static double NumberOf(System.Text.Json.Nodes.JsonValue value) => FrozenJsonConverter.NumberOf(value);

    /// <summary>Converts a JSON object to a deep-frozen value of this engine, leaving out the named top-level members.</summary>
    public JsValue ToFrozenValue(System.Text.Json.Nodes.JsonObject document, IReadOnlySet<string> omitTopLevel) => FrozenJsonConverter.ToFrozenObject(Engine, document, omitTopLevel);

    private void LockDownGlobals()
    {
        var global = Engine.Global;

        // Randomness would make a decision unrepeatable in replay and tests.
        if (global.Get("Math") is ObjectInstance math)
        {
            math.Delete("random");
        }

        // Proxies would let a returned value run code while the host reads it.
        global.Delete("Proxy");

        foreach (var key in global.GetOwnPropertyKeys())
        {
            _freezer.Freeze(global.Get(key));
        }

        _freezer.Freeze(global);
    }
}
