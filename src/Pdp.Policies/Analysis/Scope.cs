namespace Pdp.Policies.Analysis;

/// <summary>
/// A unit of code that "owns" its declarations: a function (of any kind), a class field initialiser,
/// a class static block, or the module's top level.
/// </summary>
internal sealed class FunctionContext(string name, bool isModule)
{
    public string Name { get; } = name;

    public bool IsModule { get; } = isModule;
}

/// <summary>A lexical scope (function, block, loop head, catch clause, switch body or module).</summary>
internal sealed class Scope(FunctionContext owner, Scope? parent)
{
    public FunctionContext Owner { get; } = owner;

    public Scope? Parent { get; } = parent;

    public HashSet<string> Names { get; } = new(StringComparer.Ordinal);

    /// <summary>The innermost scope, starting here, that declares <paramref name="name"/>; null when none does.</summary>
    public Scope? Resolve(string name)
    {
        for (var scope = this; scope is not null; scope = scope.Parent)
        {
            if (scope.Names.Contains(name))
            {
                return scope;
            }
        }

        return null;
    }
}
