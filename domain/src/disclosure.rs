//! Small-cell suppression: an aggregate over people never shows a count of
//! fewer than [`MIN_CELL`] people, nor lets one be worked out from what it
//! does show.
//!
//! The rule, for one group of cells that sum into a shown total (a cell not
//! shown at all, such as "failed" beside "passed" of all completions, is the
//! group's remainder):
//! 1. Every cell counting 1 to 4 people is hidden (zero discloses no one).
//! 2. What a reader can work out is the total less the shown cells: the
//!    hidden cells and the remainder together. While that is 1 to 4 people,
//!    or is exactly one hidden cell, the smallest shown non-zero cell is
//!    hidden too (complementary suppression).
//! 3. When no cell is left to hide, the total itself is hidden.

/// The fewest people a shown cell may count.
pub const MIN_CELL: i64 = 5;

/// Which of `cells` (and whether the `total`) to hide; `total` is at least
/// the sum of the cells.
pub fn suppress(cells: &[i64], total: i64) -> (Vec<bool>, bool) {
    let mut hidden: Vec<bool> = cells.iter().map(|&c| small(c)).collect();
    let remainder = total - cells.iter().sum::<i64>();
    loop {
        let hidden_count = hidden.iter().filter(|h| **h).count();
        let derivable: i64 = cells
            .iter()
            .zip(&hidden)
            .filter(|(_, h)| **h)
            .map(|(c, _)| c)
            .sum::<i64>()
            + remainder;
        let exposed = small(derivable) || (hidden_count == 1 && remainder == 0);
        if !exposed {
            return (hidden, false);
        }
        let next = cells
            .iter()
            .enumerate()
            .filter(|(i, c)| !hidden[*i] && **c > 0)
            .min_by_key(|(_, c)| **c)
            .map(|(i, _)| i);
        match next {
            Some(i) => hidden[i] = true,
            None => return (hidden, small(total) || hidden_count > 0),
        }
    }
}

/// A count that may not be shown on its own.
pub fn small(count: i64) -> bool {
    count > 0 && count < MIN_CELL
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_of_five_or_more_and_zero_are_shown() {
        assert_eq!(suppress(&[5, 0, 12], 17), (vec![false, false, false], false));
    }

    #[test]
    fn a_small_cell_hides_the_next_smallest_so_the_total_does_not_give_it_away() {
        // 20 − 10 − 8 would be the hidden 2.
        assert_eq!(suppress(&[10, 2, 8], 20), (vec![false, true, true], false));
    }

    #[test]
    fn two_small_cells_summing_under_five_hide_another() {
        assert_eq!(suppress(&[1, 2, 9, 30], 42), (vec![true, true, true, false], false));
    }

    #[test]
    fn a_small_remainder_hides_the_cell_it_could_be_worked_out_from() {
        // 18 passed of 20 completions would say 2 failed.
        assert_eq!(suppress(&[18], 20), (vec![true], false));
    }

    #[test]
    fn a_large_remainder_protects_a_single_hidden_cell() {
        assert_eq!(suppress(&[3, 40], 60), (vec![true, false], false));
    }

    #[test]
    fn with_nothing_left_to_hide_the_total_goes_too() {
        assert_eq!(suppress(&[3], 3), (vec![true], true));
        assert_eq!(suppress(&[], 4), (vec![], true));
        assert_eq!(suppress(&[], 0), (vec![], false));
    }
}
