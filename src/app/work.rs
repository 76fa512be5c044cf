//! The run's items of work, in input order: each text input is one item (read by the worker that
//! takes it, so files are read in parallel), each record of a collection is one item (read by
//! the iterator, in order, as workers ask for the next item).

use std::time::Duration;

use crate::config::InputConfig;
use crate::io::input::{InputDoc, InputError};
use crate::io::records::{self, Bad, Collection, Fields, Format, Item};

/// One item of work.
pub(crate) enum Work<'a> {
    /// A text input: one document, read by the worker.
    File(&'a InputDoc),
    /// An input whose name does not say whether it is text or a collection (`auto`): read by
    /// the worker, which decides from its bytes.
    Sniff(&'a InputDoc),
    /// A record of a collection, read already; `read` is the time it took to read it.
    Record {
        input: &'a InputDoc,
        record: records::Record,
        read: Duration,
    },
    /// A record, or a collection as a whole, that cannot be a document.
    Bad { input: &'a InputDoc, bad: Bad },
}

/// The items of a run: the inputs in order, collections expanded into their records.
pub(crate) struct WorkItems<'a> {
    inputs: &'a [InputDoc],
    formats: Vec<Format>,
    next: usize,
    current: Option<(&'a InputDoc, Collection<'a>)>,
    stdin: Option<&'a [u8]>,
    fields: Fields,
    max_text: u64,
}

impl<'a> WorkItems<'a> {
    pub(crate) fn new(
        inputs: &'a [InputDoc],
        formats: Vec<Format>,
        stdin: Option<&'a [u8]>,
        cfg: &InputConfig,
    ) -> WorkItems<'a> {
        WorkItems {
            inputs,
            formats,
            next: 0,
            current: None,
            stdin,
            fields: Fields {
                text: cfg.text_field.clone(),
                id: cfg.id_field.clone(),
            },
            max_text: cfg.max_file_bytes,
        }
    }
}

impl<'a> Iterator for WorkItems<'a> {
    type Item = Work<'a>;

    fn next(&mut self) -> Option<Work<'a>> {
        loop {
            if let Some((input, c)) = &mut self.current {
                let input: &'a InputDoc = input;
                let started = std::time::Instant::now();
                match c.next() {
                    Some(Item::Record(record)) => {
                        return Some(Work::Record {
                            input,
                            record,
                            read: started.elapsed(),
                        })
                    }
                    Some(Item::Bad(bad)) => return Some(Work::Bad { input, bad }),
                    None => self.current = None,
                }
            }
            let i = self.next;
            let input = self.inputs.get(i)?;
            self.next += 1;
            match self.formats[i] {
                Format::Text => return Some(Work::File(input)),
                Format::Sniff => return Some(Work::Sniff(input)),
                f => match records::open(input, f, self.stdin, &self.fields, self.max_text) {
                    Ok(c) => self.current = Some((input, c)),
                    Err(bad) => return Some(Work::Bad { input, bad }),
                },
            }
        }
    }
}

/// Refuses collections whose record ids could equal the id of another input: a collection
/// `F` gives documents `F#…`, so no other input may have an id starting with `F#`.
pub(crate) fn check_record_ids(inputs: &[InputDoc], formats: &[Format]) -> Result<(), InputError> {
    let mut ids: Vec<&str> = inputs.iter().map(|d| d.id.as_str()).collect();
    ids.sort_unstable();
    for (d, f) in inputs.iter().zip(formats) {
        // A file left to sniffing may turn out to be a collection too.
        if *f == Format::Text {
            continue;
        }
        let prefix = format!("{}#", d.id);
        let at = ids.partition_point(|id| *id < prefix.as_str());
        if let Some(other) = ids.get(at).filter(|id| id.starts_with(&prefix)) {
            return Err(InputError::DuplicateId {
                message: format!(
                    "`{}` is read as a collection of records, whose document ids are `{}#ID`, \
                     and the input `{other}` has such an id; rename one of them",
                    d.source, d.id
                ),
            });
        }
    }
    Ok(())
}
