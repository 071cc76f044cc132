import ControllerRuntime
import Testing

@Suite struct FinalizerStepTests {
    struct Case: Sendable, CustomTestStringConvertible {
        var finalizers: [String]
        var deleting: Bool
        var needed: Bool
        var removeWhenUnneeded = true
        var step: FinalizerStep
        var testDescription: String { "\(finalizers) deleting=\(deleting) needed=\(needed) remove=\(removeWhenUnneeded)" }
    }

    static let name = "example.io/cleanup"

    static let cases: [Case] = [
        Case(finalizers: [], deleting: false, needed: true, step: .add),
        Case(finalizers: ["other"], deleting: false, needed: true, step: .add),
        Case(finalizers: [name], deleting: false, needed: true, step: .keep),
        Case(finalizers: [], deleting: false, needed: false, step: .keep),
        Case(finalizers: [name, "other"], deleting: false, needed: false, step: .remove),
        Case(finalizers: [name], deleting: false, needed: false, removeWhenUnneeded: false, step: .keep),
        Case(finalizers: [name], deleting: true, needed: true, step: .cleanUp),
        // Deletion cleans up whatever the spec says now: the finalizer was added when it was needed.
        Case(finalizers: ["other", name], deleting: true, needed: false, step: .cleanUp),
        Case(finalizers: ["other"], deleting: true, needed: true, step: .ignoreDeleted),
        Case(finalizers: [], deleting: true, needed: false, step: .ignoreDeleted),
    ]

    @Test(arguments: cases) func step(_ c: Case) {
        #expect(
            FinalizerStep.next(
                finalizers: c.finalizers, name: Self.name, deleting: c.deleting, needed: c.needed,
                removeWhenUnneeded: c.removeWhenUnneeded) == c.step)
    }
}
