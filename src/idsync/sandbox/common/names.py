"""Name lists for the deterministic data generators: common first and last names, department and
team words. Small on purpose: collisions (two "Anna Smith"s) happen, as in a real directory."""

FIRST_NAMES: tuple[str, ...] = (
    "James", "Mary", "Robert", "Patricia", "John", "Jennifer", "Michael", "Linda", "David", "Elizabeth",
    "William", "Barbara", "Richard", "Susan", "Joseph", "Jessica", "Thomas", "Sarah", "Charles", "Karen",
    "Christopher", "Lisa", "Daniel", "Nancy", "Matthew", "Betty", "Anthony", "Sandra", "Mark", "Margaret",
    "Donald", "Ashley", "Steven", "Kimberly", "Andrew", "Emily", "Paul", "Donna", "Joshua", "Michelle",
    "Kenneth", "Carol", "Kevin", "Amanda", "Brian", "Melissa", "George", "Deborah", "Timothy", "Stephanie",
    "Ronald", "Rebecca", "Jason", "Sharon", "Edward", "Laura", "Jeffrey", "Cynthia", "Ryan", "Dorothy",
    "Jacob", "Amy", "Gary", "Kathleen", "Nicholas", "Angela", "Eric", "Shirley", "Jonathan", "Emma",
    "Stephen", "Brenda", "Larry", "Pamela", "Justin", "Nicole", "Scott", "Anna", "Brandon", "Samantha",
    "Benjamin", "Katherine", "Samuel", "Christine", "Gregory", "Debra", "Alexander", "Rachel", "Patrick",
    "Carolyn", "Frank", "Janet", "Raymond", "Maria", "Jack", "Olivia", "Dennis", "Heather", "Jerry",
    "Helen", "Tyler", "Catherine", "Aaron", "Diane", "Jose", "Julie", "Adam", "Victoria", "Nathan", "Joyce",
    "Henry", "Lauren", "Zachary", "Kelly", "Douglas", "Christina", "Peter", "Ruth", "Kyle", "Joan",
    "Noah", "Virginia", "Ethan", "Judith", "Jeremy", "Evelyn", "Walter", "Hannah", "Christian", "Andrea",
    "Keith", "Megan", "Roger", "Cheryl", "Terry", "Jacqueline", "Austin", "Madison", "Sean", "Teresa",
    "Gerald", "Abigail", "Carl", "Sophia", "Harold", "Martha", "Dylan", "Sara", "Arthur", "Gloria",
    "Lawrence", "Janice", "Jordan", "Kathryn", "Jesse", "Ann", "Bryan", "Isabella", "Billy", "Judy",
    "Bruce", "Charlotte", "Gabriel", "Julia", "Joe", "Grace", "Logan", "Amber", "Alan", "Alice",
    "Juan", "Jean", "Albert", "Denise", "Willie", "Frances", "Elijah", "Danielle", "Wayne", "Marilyn",
    "Randy", "Natalie", "Vincent", "Beverly", "Mason", "Diana", "Roy", "Brittany", "Ralph", "Theresa",
    "Bobby", "Kayla", "Russell", "Alexis", "Bradley", "Doris", "Philip", "Lori", "Eugene", "Tiffany",
    "Søren", "Zoë", "José", "Łukasz", "Håkon", "Chloé", "Anaïs", "Jürgen", "Renée", "Björn",
)  # fmt: skip

LAST_NAMES: tuple[str, ...] = (
    "Smith", "Johnson", "Williams", "Brown", "Jones", "Garcia", "Miller", "Davis", "Rodriguez", "Martinez",
    "Hernandez", "Lopez", "Gonzalez", "Wilson", "Anderson", "Thomas", "Taylor", "Moore", "Jackson", "Martin",
    "Lee", "Perez", "Thompson", "White", "Harris", "Sanchez", "Clark", "Ramirez", "Lewis", "Robinson",
    "Walker", "Young", "Allen", "King", "Wright", "Scott", "Torres", "Nguyen", "Hill", "Flores",
    "Green", "Adams", "Nelson", "Baker", "Hall", "Rivera", "Campbell", "Mitchell", "Carter", "Roberts",
    "Gomez", "Phillips", "Evans", "Turner", "Diaz", "Parker", "Cruz", "Edwards", "Collins", "Reyes",
    "Stewart", "Morris", "Morales", "Murphy", "Cook", "Rogers", "Gutierrez", "Ortiz", "Morgan", "Cooper",
    "Peterson", "Bailey", "Reed", "Kelly", "Howard", "Ramos", "Kim", "Cox", "Ward", "Richardson",
    "Watson", "Brooks", "Chavez", "Wood", "James", "Bennett", "Gray", "Mendoza", "Ruiz", "Hughes",
    "Price", "Alvarez", "Castillo", "Sanders", "Patel", "Myers", "Long", "Ross", "Foster", "Jimenez",
    "Powell", "Jenkins", "Perry", "Russell", "Sullivan", "Bell", "Coleman", "Butler", "Henderson", "Barnes",
    "Gonzales", "Fisher", "Vasquez", "Simmons", "Romero", "Jordan", "Patterson", "Alexander", "Hamilton",
    "Graham", "Reynolds", "Griffin", "Wallace", "Moreno", "West", "Cole", "Hayes", "Bryant", "Herrera",
    "Gibson", "Ellis", "Tran", "Medina", "Aguilar", "Stevens", "Murray", "Ford", "Castro", "Marshall",
    "Owens", "Harrison", "Fernandez", "McDonald", "Woods", "Washington", "Kennedy", "Wells", "Vargas",
    "Henry", "Chen", "Freeman", "Webb", "Tucker", "Guzman", "Burns", "Crawford", "Olson", "Simpson",
    "Porter", "Hunter", "Gordon", "Mendez", "Silva", "Shaw", "Snyder", "Mason", "Dixon", "Muñoz",
    "O'Brien", "Müller", "Schmidt", "Schneider", "Fischer", "Weber", "Meyer", "Wagner", "Becker", "Schulz",
    "Hoffmann", "Dubois", "Lefebvre", "Rossi", "Russo", "Ferrari", "Esposito", "Novak", "Kowalski", "Nowak",
    "Andersen", "Nielsen", "Hansen", "Johansson", "Larsson", "Virtanen", "Tanaka", "Suzuki", "Sato", "Wang",
)  # fmt: skip

DEPARTMENTS: tuple[str, ...] = (
    "Engineering", "Sales", "Marketing", "Support", "Finance", "Human Resources", "Operations", "Legal",
    "Product", "Design", "IT", "Security", "Data", "Research",
)  # fmt: skip

TITLES: tuple[str, ...] = (
    "Engineer", "Senior Engineer", "Staff Engineer", "Manager", "Director", "Analyst", "Specialist",
    "Coordinator", "Consultant", "Associate", "Lead", "Architect", "Administrator", "Representative",
)  # fmt: skip

TEAM_WORDS: tuple[str, ...] = (
    "apollo", "atlas", "aurora", "beacon", "cobalt", "comet", "delta", "ember", "falcon", "gemini",
    "harbor", "helix", "horizon", "indigo", "jade", "kepler", "lumen", "mercury", "nebula", "nova",
    "onyx", "orbit", "phoenix", "pulsar", "quartz", "raven", "sierra", "solar", "sparrow", "summit",
    "tango", "titan", "vector", "vertex", "vega", "willow", "zenith", "zephyr", "cedar", "maple",
)  # fmt: skip
