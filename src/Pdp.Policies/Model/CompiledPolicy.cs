using Acornima.Ast;
using Jint;

namespace Pdp.Policies.Model;

/// <summary>
/// A policy parsed once and validated. <see cref="Module"/> is a prepared (thread-safe) module that every
/// pooled engine instantiates; its source has one line appended by the loader that exports the
/// module-level bindings under <see cref="BindingsExport"/>, so the runtime can deep-freeze them.
/// </summary>
public sealed record CompiledPolicy(PolicyMetadata Metadata, string File, string Specifier, Prepared<Module> Module)
{
    /// <summary>The export holding every module-level binding's value, added by the loader.</summary>
    public const string BindingsExport = "__pdp_bindings";

    public string Id => Metadata.Id;

    /// <summary>True when the module exports <c>prepare(data)</c>, run once per set; its result is <c>decide</c>'s third argument.</summary>
    public bool HasPrepare { get; init; }

    /// <summary>The line of the <c>prepare</c> export, for problems about what it did.</summary>
    public int PrepareLine { get; init; }
}
