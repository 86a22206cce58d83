using Acornima.Ast;
using Jint;

namespace Pdp.Policies.Model;

/// <summary>
/// A helper module of the set (<c>lib/*.js</c>), parsed once and validated like a policy module but with no
/// <c>policy</c> or <c>decide</c> export required. Every engine registers it under <see cref="File"/>, the key
/// policies' relative imports resolve to. Its source carries the same appended <see cref="CompiledPolicy.BindingsExport"/>
/// line, so its module-level values are deep-frozen like a policy's.
/// </summary>
/// <param name="File">Path relative to the set's root, e.g. <c>lib/util.js</c>.</param>
/// <param name="Module">The prepared (thread-safe) module.</param>
public sealed record CompiledLibrary(string File, Prepared<Module> Module);
