//! Exact natural numbers and the two roundings the market rules need.
//!
//! The consensus of many books is a sum of fractions whose common denominator grows with every
//! book (a product of per-book sums of products of prices). With two or three books and prices
//! quoted to two decimals it fits in a `u128`; with twenty bookmakers from The Odds API it does
//! not. [`Nat`] is a `u128` until an operation would overflow, then a vector of 64-bit limbs, so
//! the common case costs a few machine multiplications and the rare one is still exact.

use std::cmp::Ordering;

use crate::domain::{Percent, Price};

/// A natural number: a `u128` while it fits, limbs (little-endian, no trailing zero limb, more
/// than two of them or a value of at least 2^128) beyond that. The representation is canonical,
/// so comparing two values never needs to look at both shapes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Nat {
    /// A value below 2^128.
    Small(u128),
    /// A value of at least 2^128 as 64-bit limbs, least significant first.
    Big(Vec<u64>),
}

impl From<u128> for Nat {
    fn from(value: u128) -> Self {
        Nat::Small(value)
    }
}

impl From<u32> for Nat {
    fn from(value: u32) -> Self {
        Nat::Small(u128::from(value))
    }
}

impl Nat {
    /// Zero.
    pub(crate) const ZERO: Nat = Nat::Small(0);

    /// The value as limbs, least significant first (at least two).
    fn limbs(&self) -> Vec<u64> {
        match self {
            Nat::Small(v) => vec![*v as u64, (*v >> 64) as u64],
            Nat::Big(limbs) => limbs.clone(),
        }
    }

    /// The canonical value of `limbs`.
    fn from_limbs(mut limbs: Vec<u64>) -> Nat {
        while limbs.last() == Some(&0) {
            limbs.pop();
        }
        match limbs.len() {
            0 => Nat::ZERO,
            1 => Nat::Small(u128::from(limbs[0])),
            2 => Nat::Small(u128::from(limbs[0]) | (u128::from(limbs[1]) << 64)),
            _ => Nat::Big(limbs),
        }
    }

    /// True for zero.
    pub(crate) fn is_zero(&self) -> bool {
        matches!(self, Nat::Small(0))
    }

    /// `self + other`.
    pub(crate) fn add(&self, other: &Nat) -> Nat {
        if let (Nat::Small(a), Nat::Small(b)) = (self, other)
            && let Some(sum) = a.checked_add(*b)
        {
            return Nat::Small(sum);
        }
        let (a, b) = (self.limbs(), other.limbs());
        let mut out = Vec::with_capacity(a.len().max(b.len()) + 1);
        let mut carry = 0u128;
        for i in 0..a.len().max(b.len()) {
            let sum = u128::from(a.get(i).copied().unwrap_or(0))
                + u128::from(b.get(i).copied().unwrap_or(0))
                + carry;
            out.push(sum as u64);
            carry = sum >> 64;
        }
        out.push(carry as u64);
        Nat::from_limbs(out)
    }

    /// `self − other`; `other` must not exceed `self` (checked in debug builds, zero otherwise).
    pub(crate) fn sub(&self, other: &Nat) -> Nat {
        debug_assert!(*self >= *other, "Nat::sub would go below zero");
        if let (Nat::Small(a), Nat::Small(b)) = (self, other) {
            return Nat::Small(a.saturating_sub(*b));
        }
        if *self <= *other {
            return Nat::ZERO;
        }
        let (a, b) = (self.limbs(), other.limbs());
        let mut out = Vec::with_capacity(a.len());
        let mut borrow = 0u64;
        for (i, &limb) in a.iter().enumerate() {
            let (d1, o1) = limb.overflowing_sub(b.get(i).copied().unwrap_or(0));
            let (d2, o2) = d1.overflowing_sub(borrow);
            out.push(d2);
            borrow = u64::from(o1 || o2);
        }
        Nat::from_limbs(out)
    }

    /// `self × other`.
    pub(crate) fn mul(&self, other: &Nat) -> Nat {
        if let (Nat::Small(a), Nat::Small(b)) = (self, other)
            && let Some(product) = a.checked_mul(*b)
        {
            return Nat::Small(product);
        }
        let (a, b) = (self.limbs(), other.limbs());
        let mut out = vec![0u64; a.len() + b.len()];
        for (i, &x) in a.iter().enumerate() {
            let mut carry = 0u128;
            for (j, &y) in b.iter().enumerate() {
                let cur = u128::from(out[i + j]) + u128::from(x) * u128::from(y) + carry;
                out[i + j] = cur as u64;
                carry = cur >> 64;
            }
            out[i + b.len()] = carry as u64;
        }
        Nat::from_limbs(out)
    }

    /// `self × factor` for a small factor.
    pub(crate) fn times(&self, factor: u128) -> Nat {
        self.mul(&Nat::Small(factor))
    }

    /// Number of significant bits.
    fn bits(&self) -> u32 {
        match self {
            Nat::Small(v) => 128 - v.leading_zeros(),
            Nat::Big(limbs) => {
                let top = limbs.last().copied().unwrap_or(0);
                (limbs.len() as u32 - 1) * 64 + (64 - top.leading_zeros())
            }
        }
    }

    /// Bit `i` (0 = least significant).
    fn bit(&self, i: u32) -> bool {
        match self {
            Nat::Small(v) => i < 128 && (v >> i) & 1 == 1,
            Nat::Big(limbs) => limbs
                .get((i / 64) as usize)
                .is_some_and(|limb| (limb >> (i % 64)) & 1 == 1),
        }
    }

    /// Quotient and remainder of `self / divisor`; `divisor` must not be zero.
    pub(crate) fn div_rem(&self, divisor: &Nat) -> (Nat, Nat) {
        assert!(!divisor.is_zero(), "Nat division by zero");
        if let (Nat::Small(a), Nat::Small(b)) = (self, divisor) {
            return (Nat::Small(a / b), Nat::Small(a % b));
        }
        if self < divisor {
            return (Nat::ZERO, self.clone());
        }
        if *divisor == Nat::Small(1) {
            return (self.clone(), Nat::ZERO);
        }
        // Schoolbook binary long division: only reached beyond 2^128, which real markets
        // with a handful of books never are.
        let bits = self.bits();
        let mut quotient = vec![0u64; (bits as usize).div_ceil(64)];
        let mut rest = Nat::ZERO;
        for i in (0..bits).rev() {
            rest = rest.add(&rest).add(&Nat::Small(u128::from(self.bit(i))));
            if rest >= *divisor {
                rest = rest.sub(divisor);
                quotient[(i / 64) as usize] |= 1 << (i % 64);
            }
        }
        (Nat::from_limbs(quotient), rest)
    }

    /// `self / divisor` rounded to the nearest integer, halves up (away from zero, as the
    /// value is not negative). `divisor` must not be zero.
    pub(crate) fn div_round(&self, divisor: &Nat) -> Nat {
        let (quotient, rest) = self.div_rem(divisor);
        // rest / divisor ≥ ½  ⇔  rest ≥ divisor − rest.
        if rest >= divisor.sub(&rest) {
            quotient.add(&Nat::Small(1))
        } else {
            quotient
        }
    }

    /// The value as an `i64`, saturated at `i64::MAX`.
    pub(crate) fn to_i64_saturating(&self) -> i64 {
        match self {
            Nat::Small(v) => i64::try_from(*v).unwrap_or(i64::MAX),
            Nat::Big(_) => i64::MAX,
        }
    }

    /// Greatest common divisor while both values are small; 1 beyond (a common divisor, just
    /// not the greatest: good enough to keep numbers small, never wrong).
    pub(crate) fn gcd(&self, other: &Nat) -> Nat {
        match (self, other) {
            (Nat::Small(a), Nat::Small(b)) => {
                let (mut a, mut b) = (*a, *b);
                while b != 0 {
                    (a, b) = (b, a % b);
                }
                Nat::Small(a)
            }
            _ => Nat::Small(1),
        }
    }
}

impl PartialOrd for Nat {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Nat {
    fn cmp(&self, other: &Self) -> Ordering {
        match (self, other) {
            (Nat::Small(a), Nat::Small(b)) => a.cmp(b),
            (Nat::Small(_), Nat::Big(_)) => Ordering::Less,
            (Nat::Big(_), Nat::Small(_)) => Ordering::Greater,
            (Nat::Big(a), Nat::Big(b)) => a
                .len()
                .cmp(&b.len())
                .then_with(|| a.iter().rev().cmp(b.iter().rev())),
        }
    }
}

/// `10 000 × (numerator − denominator) / denominator` rounded half away from zero: the
/// signed change from `denominator` to `numerator` in hundredths of a percent. `denominator`
/// must not be zero.
pub(crate) fn hundredths_above(numerator: &Nat, denominator: &Nat) -> i64 {
    if numerator >= denominator {
        numerator
            .sub(denominator)
            .times(10_000)
            .div_round(denominator)
            .to_i64_saturating()
    } else {
        -denominator
            .sub(numerator)
            .times(10_000)
            .div_round(denominator)
            .to_i64_saturating()
    }
}

/// Signed change from `old` to `new` in hundredths of a percent, rounded half away from zero:
/// §3's `change% = (new − old) / old × 100`, the very [`Price::change_to`] a `price_change`
/// alert carries. `None` when either price is zero (no offer to compare).
pub fn change_hundredths(old: Price, new: Price) -> Option<i64> {
    if new.milli() == 0 {
        return None;
    }
    old.change_to(new).map(Percent::hundredths)
}

/// The mean of two integers rounded half away from zero (the median of an even count).
pub(crate) fn mean_of_two(a: i64, b: i64) -> i64 {
    let sum = i128::from(a) + i128::from(b);
    let half = if sum >= 0 {
        (sum + 1) / 2
    } else {
        (sum - 1) / 2
    };
    half as i64
}

#[cfg(test)]
mod tests {
    use super::*;

    fn big(value: u128, shift: u32) -> Nat {
        // value × 2^(64·shift), built through multiplication so the limb path is exercised.
        let mut n = Nat::from(value);
        for _ in 0..shift {
            n = n.mul(&Nat::Small(1u128 << 64));
        }
        n
    }

    #[test]
    fn small_arithmetic_stays_small_and_overflow_becomes_big() {
        let max = Nat::Small(u128::MAX);
        assert_eq!(Nat::from(7u32).add(&Nat::from(5u32)), Nat::Small(12));
        let over = max.add(&Nat::Small(1));
        assert!(matches!(over, Nat::Big(ref l) if l == &vec![0, 0, 1]));
        assert_eq!(over.sub(&Nat::Small(1)), max);
        assert!(over > max);
    }

    #[test]
    fn big_multiplication_and_division_round_trip() {
        let a = big(123_456_789_012_345, 2).add(&Nat::Small(987));
        let b = big(1_000_000_007, 1).add(&Nat::Small(3));
        let product = a.mul(&b);
        assert_eq!(product.div_rem(&b), (a.clone(), Nat::ZERO));
        let (q, r) = product.add(&Nat::Small(5)).div_rem(&a);
        assert_eq!((q, r), (b, Nat::Small(5)));
    }

    #[test]
    fn division_rounds_halves_away_from_zero() {
        assert_eq!(Nat::Small(5).div_round(&Nat::Small(2)), Nat::Small(3));
        assert_eq!(Nat::Small(7).div_round(&Nat::Small(3)), Nat::Small(2));
        assert_eq!(Nat::Small(8).div_round(&Nat::Small(3)), Nat::Small(3));
        let two_big = big(2, 3);
        assert_eq!(big(5, 3).div_round(&two_big), Nat::Small(3));
    }

    #[test]
    fn hundredths_above_keeps_the_sign() {
        assert_eq!(hundredths_above(&Nat::Small(2_14), &Nat::Small(2_00)), 700);
        assert_eq!(
            hundredths_above(&Nat::Small(2_70), &Nat::Small(3_00)),
            -1000
        );
        assert_eq!(hundredths_above(&Nat::Small(3_10), &Nat::Small(3_00)), 333);
        assert_eq!(hundredths_above(&Nat::Small(2_90), &Nat::Small(3_00)), -333);
    }

    #[test]
    fn change_matches_section_three_vectors() {
        let p = |s: &str| s.parse::<Price>().unwrap();
        assert_eq!(change_hundredths(p("3.00"), p("2.70")), Some(-1000));
        assert_eq!(change_hundredths(p("4.00"), p("4.60")), Some(1500));
        assert_eq!(change_hundredths(p("1.50"), p("1.605")), Some(700));
        assert_eq!(change_hundredths(p("2.00"), p("2.13")), Some(650));
        assert_eq!(change_hundredths(p("0"), p("2.13")), None);
        assert_eq!(change_hundredths(p("2.00"), p("0")), None);
    }

    #[test]
    fn mean_of_two_rounds_half_away_from_zero() {
        assert_eq!(mean_of_two(-1000, -800), -900);
        assert_eq!(mean_of_two(-1000, -801), -901);
        assert_eq!(mean_of_two(1000, 801), 901);
        assert_eq!(mean_of_two(1, 0), 1);
        assert_eq!(mean_of_two(-1, 0), -1);
    }

    #[test]
    fn gcd_of_small_values_and_one_beyond() {
        assert_eq!(Nat::Small(12).gcd(&Nat::Small(18)), Nat::Small(6));
        assert_eq!(big(4, 2).gcd(&Nat::Small(2)), Nat::Small(1));
    }
}
