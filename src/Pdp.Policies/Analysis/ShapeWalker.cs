using Acornima;
using Acornima.Ast;

namespace Pdp.Policies.Analysis;

/// <summary>
/// Walks code (function bodies and top-level initialisers) with real lexical scoping and reports
/// assignments to identifiers not declared by the assigning function, plus constructs the sandbox refuses.
/// Extends Acornima's <see cref="AstVisitor"/>: node types not overridden here are traversed by the base
/// class, so no expression kind is skipped silently. Identifiers that are not references (member property
/// names, non-computed keys, labels, binding patterns) are never handed to <see cref="VisitIdentifier"/>.
/// </summary>
internal sealed partial class ShapeWalker : AstVisitor
{
    private readonly List<ModuleShapeProblem> _problems;
    private FunctionContext _function;
    private Scope _scope;

    public ShapeWalker(List<ModuleShapeProblem> problems, Scope moduleScope)
    {
        _problems = problems;
        _scope = moduleScope;
        _function = moduleScope.Owner;
    }

    public void Report(Node node, string message)
    {
        var start = node.Location.Start;
        _problems.Add(new ModuleShapeProblem(start.Line, start.Column + 1, message));
    }

    /// <summary>
    /// Visits an expression in a position that gives an anonymous function its name
    /// (<c>const f = () => …</c>, <c>{ f: function () … }</c>, <c>export default function () …</c>).
    /// </summary>
    public void VisitValue(Expression? value, string? nameHint)
    {
        switch (value)
        {
            case null:
                break;
            case FunctionExpression { Id: null } function:
                WalkFunction(function, nameHint, function);
                break;
            case ArrowFunctionExpression arrow:
                WalkFunction(arrow, nameHint, arrow);
                break;
            default:
                Visit(value);
                break;
        }
    }

    private void VisitOptional(Node? node)
    {
        if (node is not null)
        {
            Visit(node);
        }
    }

    /// <summary>
    /// Walks a binding pattern (<paramref name="assigning"/> false: declarations, parameters, catch
    /// parameters) or an assignment target (<paramref name="assigning"/> true). Default values and computed
    /// keys are visited as ordinary expressions; in assignment targets every identifier is checked.
    /// </summary>
    private void WalkPattern(Node? pattern, bool assigning)
    {
        switch (pattern)
        {
            case null:
                break;
            case Identifier identifier:
                if (assigning)
                {
                    CheckAssignment(identifier);
                }

                break;
            case ParenthesizedExpression parenthesized:
                WalkPattern(parenthesized.Expression, assigning);
                break;
            case AssignmentPattern assignment:
                WalkPattern(assignment.Left, assigning);
                VisitValue(assignment.Right, (assignment.Left as Identifier)?.Name);
                break;
            case RestElement rest:
                WalkPattern(rest.Argument, assigning);
                break;
            case ArrayPattern array:
                foreach (var element in array.Elements)
                {
                    WalkPattern(element, assigning);
                }

                break;
            case ObjectPattern obj:
                foreach (var property in obj.Properties)
                {
                    if (property is AssignmentProperty p)
                    {
                        if (p.Computed)
                        {
                            Visit(p.Key);
                        }

                        WalkPattern(p.Value, assigning);
                    }
                    else
                    {
                        WalkPattern(property, assigning);
                    }
                }

                break;
            default:
                // Member expressions (obj.x = …) are not refused statically: the runtime freeze handles them.
                Visit(pattern);
                break;
        }
    }

    private void CheckAssignment(Identifier target)
    {
        if (_function.IsModule)
        {
            Report(target, ShapeMessages.AssignedAtTopLevel(target.Name));
            return;
        }

        var declaringScope = _scope.Resolve(target.Name);
        if (declaringScope is null || !ReferenceEquals(declaringScope.Owner, _function))
        {
            Report(target, ShapeMessages.AssignedOutside(target.Name, _function.Name));
        }
    }

    private Scope EnterScope()
    {
        var saved = _scope;
        _scope = new Scope(_function, saved);
        return saved;
    }

    protected override object? VisitAssignmentExpression(AssignmentExpression node)
    {
        WalkPattern(node.Left, assigning: true);
        VisitValue(node.Right, (node.Left as Identifier)?.Name);
        return node;
    }

    protected override object? VisitUnaryExpression(UnaryExpression node)
    {
        if (node is UpdateExpression)
        {
            WalkPattern(node.Argument, assigning: true);
            return node;
        }

        return base.VisitUnaryExpression(node);
    }

    protected override object? VisitVariableDeclaration(VariableDeclaration node)
    {
        if (node.Kind == VariableDeclarationKind.AwaitUsing)
        {
            Report(node, ShapeMessages.Await);
        }

        foreach (var declarator in node.Declarations)
        {
            WalkPattern(declarator.Id, assigning: false);
            VisitValue(declarator.Init, (declarator.Id as Identifier)?.Name);
        }

        return node;
    }

    protected override object? VisitIdentifier(Identifier node)
    {
        // Only identifiers in reference position reach this method (see the class remarks).
        switch (node.Name)
        {
            case "eval":
                Report(node, ShapeMessages.EvalReference);
                break;
            case "Function":
                Report(node, ShapeMessages.FunctionReference);
                break;
            default:
                break;
        }

        return node;
    }

    protected override object? VisitMemberExpression(MemberExpression node)
    {
        Visit(node.Object);
        if (node.Computed)
        {
            Visit(node.Property);
        }

        return node;
    }
}
