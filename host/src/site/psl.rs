//! The bundled Public Suffix List, compiled into a static trie by
//! `build.rs`: a look-up costs one binary search per label of the host and
//! nothing at start-up.
//!
//! The look-up follows the `publicsuffix` crate's algorithm step for step
//! (the tests check that both give the same answers on every rule of the
//! list and many more hosts), including its handling of unlisted top-level
//! domains (the implicit `*` rule) and of a trailing dot.

/// One node of the trie.
pub(super) struct Node {
    /// Where the label is in [`PSL_LABELS`].
    label_start: u32,
    label_len: u8,
    /// The node's children are `PSL_NODES[first_child..][..child_count]`,
    /// sorted by label bytes.
    first_child: u32,
    child_count: u16,
    /// 0: no rule ends here; 1: a rule; 2: an exception rule (`!`).
    leaf: u8,
}

impl Node {
    const fn new(
        label_start: u32,
        label_len: u8,
        first_child: u32,
        child_count: u16,
        leaf: u8,
    ) -> Node {
        Node {
            label_start,
            label_len,
            first_child,
            child_count,
            leaf,
        }
    }

    fn label(&self) -> &'static [u8] {
        let start = self.label_start as usize;
        &PSL_LABELS.as_bytes()[start..start + usize::from(self.label_len)]
    }

    fn child(&self, label: &[u8]) -> Option<&'static Node> {
        let first = self.first_child as usize;
        let children = &PSL_NODES[first..first + usize::from(self.child_count)];
        children
            .binary_search_by(|c| c.label().cmp(label))
            .ok()
            .map(|i| &children[i])
    }
}

include!(concat!(env!("OUT_DIR"), "/psl_trie.rs"));

/// The length of the public suffix at the end of `labels` (given right to
/// left, without a trailing empty label).
fn find<'a>(mut labels: impl Iterator<Item = &'a [u8]>) -> usize {
    let Some(first) = labels.next() else {
        return 0;
    };
    // The first label is a suffix even when unlisted (the implicit `*`).
    let mut len = first.len();
    let Some(mut node) = PSL_NODES[0].child(first) else {
        return len;
    };
    let mut len_so_far = len;
    for label in labels {
        match node.child(label).or_else(|| node.child(b"*")) {
            Some(child) => node = child,
            None => break,
        }
        let label_plus_dot = label.len() + 1;
        match node.leaf {
            1 => len = len_so_far + label_plus_dot,
            2 => {
                len = len_so_far;
                break;
            }
            _ => {}
        }
        len_so_far += label_plus_dot;
    }
    len
}

/// The public suffix that ends `name` (a trailing dot included), if any.
pub(crate) fn suffix(name: &[u8]) -> Option<&[u8]> {
    let mut labels = name.rsplit(|&b| b == b'.');
    let fqdn = name.ends_with(b".");
    if fqdn {
        labels.next();
    }
    let len = find(labels) + usize::from(fqdn);
    if len == 0 {
        return None;
    }
    name.get(name.len().checked_sub(len)?..)
}

/// The registrable domain at the end of `name`: its public suffix and one
/// more label. `None` when `name` is a public suffix itself.
pub(crate) fn domain(name: &[u8]) -> Option<&[u8]> {
    let suffix_len = suffix(name)?.len();
    if name.len() < suffix_len + 2 {
        return None;
    }
    let subdomain = name.get(..name.len() - (1 + suffix_len))?;
    let root_label = subdomain.rsplit(|&b| b == b'.').next()?;
    name.get(name.len() - (root_label.len() + 1 + suffix_len)..)
}

#[cfg(test)]
mod tests;
