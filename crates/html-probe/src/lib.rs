//! How deep the HTML parser will really nest a body, found by running the
//! parser itself with a tree that only keeps depths, and stopping it early.
//!
//! A counter that guesses the parser's stack from the tags misses what the
//! parser does on its own: it reopens formatting elements (`<b>`, `<i>`…)
//! closed by a block's end, leaves foreign content (`<svg>`) on HTML tags,
//! and moves children in the adoption agency. One such shape passed a
//! 512-level guess and still built a tree deep enough to cost 40 s of CPU
//! per mebibyte. Asking the parser cannot miss a rule; feeding it in small
//! chunks and stopping at the first chunk that goes too deep keeps the work
//! linear in the input, since no chunk can grow the stack by more than its
//! own length.

use html5ever::interface::{ElementFlags, NodeOrText, QuirksMode, TreeSink};
use html5ever::tendril::{StrTendril, TendrilSink};
use html5ever::{Attribute, QualName, local_name, ns};
use std::borrow::Cow;
use std::cell::{Cell, RefCell};
use std::rc::{Rc, Weak};

/// Input fed to the parser between two looks at the depth.
const CHUNK: usize = 1024;

/// What the parser would build, as far as the limits care.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    Fits,
    /// Some element would sit deeper than the limit.
    TooDeep,
    /// Nested deep across so much of its length that the parser's work
    /// (it searches its stack of open elements for most tags) goes beyond
    /// the budget, though no element is too deep.
    TooMuchWork,
    /// The parser would create far more elements than the body has tags:
    /// formatting elements reopened in every paragraph, each one a node.
    TooManyElements,
}

/// Runs the body through the HTML parser (as a fragment in a `<div>`, as
/// the sanitiser parses it) and reports whether it stays within `max_depth`
/// and creates at most `max_elements` elements, and whether the sum over its
/// tags of the depth the parser reads them at stays within `max_work`.
pub fn shape(html: &str, max_depth: usize, max_elements: usize, max_work: usize) -> Shape {
    let verdict = Rc::new(Cell::new(Shape::Fits));
    let probe = Probe {
        // The fragment's elements hang below an `<html>` root.
        max_depth: max_depth + 1,
        document: Node::new(empty_name(), None, false),
        generation: Cell::new(0),
        created: Cell::new(0),
        last_depth: Cell::new(0),
        chunk_deepest: Cell::new(0),
        max_elements,
        verdict: Rc::clone(&verdict),
    };
    let context = QualName::new(None, ns!(html), local_name!("div"));
    let mut parser =
        html5ever::driver::parse_fragment(probe, Default::default(), context, vec![], false);
    let mut rest = html;
    let mut work = 0usize;
    while !rest.is_empty() && verdict.get() == Shape::Fits {
        let mut cut = rest.len().min(CHUNK);
        while !rest.is_char_boundary(cut) {
            cut += 1;
        }
        let probe = &parser.tokenizer.sink.sink;
        let depth_before = probe.last_depth.get();
        probe.chunk_deepest.set(0);
        let rest_before = rest;
        parser.process(StrTendril::from_slice(&rest[..cut]));
        rest = &rest[cut..];
        // The parser's stack is about as deep as the element it last
        // inserted, and a tag costs it a walk down that stack.
        let probe = &parser.tokenizer.sink.sink;
        let depth = depth_before.max(probe.chunk_deepest.get());
        let tags = rest_before[..cut].bytes().filter(|&b| b == b'<').count();
        work = work.saturating_add(tags.saturating_mul(depth));
        if work > max_work && verdict.get() == Shape::Fits {
            verdict.set(Shape::TooMuchWork);
        }
    }
    if verdict.get() == Shape::Fits {
        parser.finish();
    }
    verdict.get()
}

fn empty_name() -> QualName {
    QualName::new(None, ns!(), local_name!(""))
}

type Handle = Rc<Node>;

/// One element or comment: where it hangs, and its depth as last computed.
#[derive(Debug)]
struct Node {
    name: QualName,
    parent: RefCell<Option<Weak<Node>>>,
    /// Live children, so the adoption agency's moves can be followed.
    children: RefCell<Vec<Weak<Node>>>,
    /// (depth, generation it was computed in).
    depth: Cell<(usize, u64)>,
    template_contents: Option<Handle>,
    annotation_xml_integration_point: bool,
}

impl Node {
    fn new(
        name: QualName,
        template_contents: Option<Handle>,
        annotation_xml_integration_point: bool,
    ) -> Handle {
        Rc::new(Node {
            name,
            parent: RefCell::new(None),
            children: RefCell::new(Vec::new()),
            depth: Cell::new((0, 0)),
            template_contents,
            annotation_xml_integration_point,
        })
    }

    fn parent(&self) -> Option<Handle> {
        self.parent.borrow().as_ref().and_then(Weak::upgrade)
    }
}

struct Probe {
    document: Handle,
    /// Bumped whenever nodes move, which makes every cached depth stale.
    generation: Cell<u64>,
    created: Cell<usize>,
    /// Depth of the element inserted last, and the deepest inserted since
    /// the current chunk began.
    last_depth: Cell<usize>,
    chunk_deepest: Cell<usize>,
    max_depth: usize,
    max_elements: usize,
    verdict: Rc<Cell<Shape>>,
}

impl Probe {
    /// The node's depth, walking up only to the nearest ancestor whose
    /// depth is current, and never further than the limit.
    fn depth(&self, node: &Handle) -> usize {
        let generation = self.generation.get();
        let mut path = Vec::new();
        let mut at = Rc::clone(node);
        let base = loop {
            let (depth, computed_in) = at.depth.get();
            if computed_in == generation || Rc::ptr_eq(&at, &self.document) {
                break depth;
            }
            if path.len() > self.max_depth {
                return usize::MAX;
            }
            match at.parent() {
                Some(parent) => {
                    path.push(Rc::clone(&at));
                    at = parent;
                }
                // Detached: a root of its own.
                None => break 0,
            }
        };
        for (up, n) in path.iter().rev().enumerate() {
            n.depth.set((base + up + 1, generation));
        }
        base + path.len()
    }

    fn attach(&self, parent: &Handle, child: &Handle) {
        *child.parent.borrow_mut() = Some(Rc::downgrade(parent));
        let mut children = parent.children.borrow_mut();
        // Forget children dropped since, now and then: amortised, and
        // bounds the list by the live ones.
        if children.len() >= 16 && children.len().is_power_of_two() {
            children.retain(|c| c.strong_count() > 0);
        }
        children.push(Rc::downgrade(child));
        drop(children);
        let depth = self.depth(parent).saturating_add(1);
        child.depth.set((depth, self.generation.get()));
        self.last_depth.set(depth);
        self.chunk_deepest.set(self.chunk_deepest.get().max(depth));
        if depth > self.max_depth {
            self.verdict.set(Shape::TooDeep);
        }
    }

    fn detach(&self, node: &Handle) {
        if let Some(parent) = node.parent.borrow_mut().take().and_then(|p| p.upgrade()) {
            parent
                .children
                .borrow_mut()
                .retain(|c| c.upgrade().is_some_and(|c| !Rc::ptr_eq(&c, node)));
        }
        self.generation.set(self.generation.get() + 1);
    }
}

impl TreeSink for Probe {
    type Handle = Handle;
    type Output = ();
    type ElemName<'a> = &'a QualName;

    fn finish(self) {}

    fn parse_error(&self, _msg: Cow<'static, str>) {}

    fn get_document(&self) -> Handle {
        Rc::clone(&self.document)
    }

    fn elem_name<'a>(&'a self, target: &'a Handle) -> &'a QualName {
        &target.name
    }

    fn create_element(&self, name: QualName, _: Vec<Attribute>, flags: ElementFlags) -> Handle {
        let created = self.created.get() + 1;
        self.created.set(created);
        if created > self.max_elements && self.verdict.get() == Shape::Fits {
            self.verdict.set(Shape::TooManyElements);
        }
        let template_contents = flags.template.then(|| Node::new(empty_name(), None, false));
        let node = Node::new(
            name,
            template_contents,
            flags.mathml_annotation_xml_integration_point,
        );
        if let Some(contents) = &node.template_contents {
            self.attach(&node, contents);
        }
        node
    }

    fn create_comment(&self, _text: StrTendril) -> Handle {
        Node::new(empty_name(), None, false)
    }

    fn create_pi(&self, _target: StrTendril, _data: StrTendril) -> Handle {
        Node::new(empty_name(), None, false)
    }

    fn append(&self, parent: &Handle, child: NodeOrText<Handle>) {
        if let NodeOrText::AppendNode(child) = child {
            self.attach(parent, &child);
        }
    }

    fn append_based_on_parent_node(
        &self,
        element: &Handle,
        prev_element: &Handle,
        child: NodeOrText<Handle>,
    ) {
        if element.parent().is_some() {
            self.append_before_sibling(element, child);
        } else {
            self.append(prev_element, child);
        }
    }

    fn append_doctype_to_document(&self, _: StrTendril, _: StrTendril, _: StrTendril) {}

    fn get_template_contents(&self, target: &Handle) -> Handle {
        target
            .template_contents
            .clone()
            .unwrap_or_else(|| Rc::clone(target))
    }

    fn same_node(&self, x: &Handle, y: &Handle) -> bool {
        Rc::ptr_eq(x, y)
    }

    fn set_quirks_mode(&self, _mode: QuirksMode) {}

    fn append_before_sibling(&self, sibling: &Handle, new_node: NodeOrText<Handle>) {
        if let NodeOrText::AppendNode(child) = new_node {
            match sibling.parent() {
                Some(parent) => self.attach(&parent, &child),
                None => self.attach(sibling, &child),
            }
        }
    }

    fn add_attrs_if_missing(&self, _target: &Handle, _attrs: Vec<Attribute>) {}

    fn remove_from_parent(&self, target: &Handle) {
        self.detach(target);
    }

    fn reparent_children(&self, node: &Handle, new_parent: &Handle) {
        let children = std::mem::take(&mut *node.children.borrow_mut());
        for child in children.iter().filter_map(Weak::upgrade) {
            *child.parent.borrow_mut() = Some(Rc::downgrade(new_parent));
            new_parent.children.borrow_mut().push(Rc::downgrade(&child));
        }
        self.generation.set(self.generation.get() + 1);
    }

    fn is_mathml_annotation_xml_integration_point(&self, handle: &Handle) -> bool {
        handle.annotation_xml_integration_point
    }
}
